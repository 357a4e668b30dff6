package store

// #cgo LDFLAGS: -ldeflate
// #include <libdeflate.h>
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// A query's hits are inflated as it answers, one short stream each, so
// most of a stream's time is building its Huffman tables. libdeflate
// (apt libdeflate-dev) inflates a SciFact abstract in about half the time
// klauspost's reader takes (≈5 against ≈10 µs). It inflates whole buffers
// only and takes no preset dictionary, so a text packed against one is
// given the dictionary as stored blocks ahead of its stream: the stream's
// back-references then reach the same bytes, and the text is what follows
// them.
type inflater struct {
	d      *C.struct_libdeflate_decompressor
	framed []byte // the dictionary at the head of in
	head   int    // bytes of in its stored blocks take
	in     []byte
	out    []byte
}

// inflaters are reused: a decompressor is a C allocation of some 10 KB.
// One that the pool drops is freed by its cleanup.
var inflaters = sync.Pool{New: func() any {
	f := &inflater{d: C.libdeflate_alloc_decompressor()}
	if f.d != nil {
		runtime.AddCleanup(f, func(d *C.struct_libdeflate_decompressor) { C.libdeflate_free_decompressor(d) }, f.d)
	}
	return f
}}

// inflate is the n bytes body inflates to, after dict when not nil.
func inflate(body []byte, dict []byte, n int) (string, error) {
	if n == 0 {
		return "", nil
	}
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	if f.d == nil {
		return "", fmt.Errorf("%w: out of memory for a decompressor", errPacked)
	}
	in := body
	var out []byte
	if dict == nil {
		out = make([]byte, n)
	} else {
		f.frame(dict)
		f.in = append(f.in[:f.head], body...)
		in = f.in
		if cap(f.out) < len(dict)+n {
			f.out = make([]byte, len(dict)+n)
		}
		out = f.out[:len(dict)+n]
	}
	if len(in) == 0 {
		return "", fmt.Errorf("%w: empty stream", errPacked)
	}
	// With no size pointer, libdeflate fails unless the stream fills out
	// exactly.
	res := C.libdeflate_deflate_decompress(f.d, unsafe.Pointer(&in[0]), C.size_t(len(in)),
		unsafe.Pointer(&out[0]), C.size_t(len(out)), nil)
	if res != C.LIBDEFLATE_SUCCESS {
		return "", fmt.Errorf("%w: %s", errPacked, inflateResult(res))
	}
	if dict == nil {
		return unsafe.String(&out[0], n), nil // out is this call's own
	}
	return string(out[len(dict):]), nil
}

// frame puts dict at the head of f.in as stored (uncompressed, not final)
// blocks of at most 65,535 bytes each, unless it is there already.
func (f *inflater) frame(dict []byte) {
	// A vault's dictionaries do not change once made, so the same bytes
	// are the same dictionary.
	if f.framed != nil && unsafe.SliceData(f.framed) == unsafe.SliceData(dict) && len(f.framed) == len(dict) {
		return
	}
	f.in = f.in[:0]
	for rest := dict; ; {
		k := min(len(rest), 0xffff)
		f.in = append(f.in, 0, byte(k), byte(k>>8), ^byte(k), ^byte(k>>8))
		f.in = append(f.in, rest[:k]...)
		rest = rest[k:]
		if len(rest) == 0 {
			break
		}
	}
	f.framed, f.head = dict, len(f.in)
}

func inflateResult(r C.enum_libdeflate_result) string {
	switch r {
	case C.LIBDEFLATE_BAD_DATA:
		return "bad data"
	case C.LIBDEFLATE_SHORT_OUTPUT:
		return "shorter than its length"
	case C.LIBDEFLATE_INSUFFICIENT_SPACE:
		return "longer than its length"
	}
	return fmt.Sprintf("result %d", int(r))
}
