//go:build tools

// Package tools pins the command that test/kubernetes/build.sh builds.
package tools

import _ "github.com/coredns/coredns"
