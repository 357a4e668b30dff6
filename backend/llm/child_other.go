//go:build !linux

package llm

import "syscall"

// childAttr: only Linux has a parent-death signal. Elsewhere Close stops
// the server; one left by a Hoard that was killed runs on until stopped.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// ProcessRuns says whether a process exists (signal 0 reaches it).
func ProcessRuns(pid int) bool { return syscall.Kill(pid, 0) == nil }
