//go:build !linux

package llm

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// childAttr: only Linux has a parent-death signal. Elsewhere Close stops
// the server, and one left by a Hoard that was killed is stopped by the
// next runner's sweep (SweepOrphans).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// ProcessRuns says whether a process exists (signal 0 reaches it; on
// Windows, whether it can be found).
func ProcessRuns(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// isServer says whether pid runs the binary server, as ps names the
// process's command; where there is no ps (Windows) it cannot tell, and the
// process is left alone.
func isServer(pid int, server string) bool {
	out, err := exec.Command("ps", "-o", "comm=", "-p", strconv.Itoa(pid)).Output()
	return err == nil && sameBinary(string(out), server)
}
