// The pod sandbox ("pause") program of the local real node. It holds a Pod's namespaces and does nothing
// until it is told to stop; as PID 1 of a Pod that shares its process namespace it also reaps orphans.
// scripts/cluster-node.sh builds it (CGO_ENABLED=0, static) into a FROM scratch image at cluster-up time,
// because no public registry, and so no registry.k8s.io/pause, is reachable from the release machines.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("image-release pause")
		return
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
