package llm

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// childAttr makes the server die with Hoard: the kernel sends it SIGKILL
// when Hoard ends, even by kill -9, so no server is left behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// ProcessRuns says whether a process exists and is not a zombie (one that
// ended and waits to be reaped), from /proc: the orphan tests use it.
func ProcessRuns(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command's closing parenthesis.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// isServer says whether pid runs the binary server (/proc/PID/exe).
func isServer(pid int, server string) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && sameBinary(exe, server)
}
