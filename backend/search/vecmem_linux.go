package search

import (
	"syscall"
	"unsafe"
)

// adviseHuge asks the kernel to back b with huge pages (where it allows
// them only when asked, as most distributions do). The rescoring step
// reads tens of thousands of scattered rows of codes a query; with 4 KiB
// pages each is a TLB miss as well as a cache miss. Only pages not yet
// touched are affected at once, so it is called on a fresh allocation,
// before it is filled. A hint: an error changes nothing.
func adviseHuge(b []byte) {
	const page = 4096
	if len(b) < 2<<20 {
		return
	}
	start := uintptr(unsafe.Pointer(&b[0]))
	off := int((page - start%page) % page)
	end := (len(b) - off) / page * page
	if end <= 0 {
		return
	}
	syscall.Madvise(b[off:off+end], syscall.MADV_HUGEPAGE)
}
