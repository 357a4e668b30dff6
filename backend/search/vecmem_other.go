//go:build !linux

package search

// adviseHuge is a no-op where huge pages are not asked for by address
// range.
func adviseHuge([]byte) {}
