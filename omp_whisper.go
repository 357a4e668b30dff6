//go:build whisper && unix

package main

import (
	"os"
	"syscall"
)

// passiveOpenMP starts hoard again with OMP_WAIT_POLICY=passive unless the
// user set a policy. whisper.cpp's threads come from libgomp, which reads
// the policy once, when the library loads (before main), and by default
// spins while it waits for work: with 2 threads on a busy machine
// transcription ran 6x slower.
func passiveOpenMP() {
	if _, set := os.LookupEnv("OMP_WAIT_POLICY"); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	// On success Exec does not return; on failure hoard runs on as it is.
	_ = syscall.Exec(exe, os.Args, append(os.Environ(), "OMP_WAIT_POLICY=passive"))
}
