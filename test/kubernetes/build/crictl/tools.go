//go:build tools

// Package tools pins the command that test/kubernetes/build.sh builds.
package tools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"
