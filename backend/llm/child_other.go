//go:build !linux

package llm

import (
	"os"
	"syscall"
)

// childAttr: only Linux has a parent-death signal. Elsewhere Close stops
// the server; one left by a Hoard that was killed runs on until stopped.
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
