//go:build !whisper || !unix

package main

// passiveOpenMP: without the whisper.cpp engine there is no OpenMP.
func passiveOpenMP() {}
