//go:build unix

package ingest

import "syscall"

// openNonBlock keeps an open from waiting: a regular file ignores it, a named
// pipe swapped in after the check would otherwise block until a writer came.
const openNonBlock = syscall.O_NONBLOCK
