// etcdctl 3.6 for the tests, built by test/setup.sh from the Go module proxy.
package main

import "go.etcd.io/etcd/etcdctl/v3/ctlv3"

func main() { ctlv3.MustStart() }
