package ingest

import (
	"io/fs"
	"syscall"
)

// changeTime is a file's inode change time in unix nanoseconds, 0 when the
// system does not say. Unlike the modification time no program can set it.
func changeTime(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctimespec.Nano()
	}
	return 0
}
