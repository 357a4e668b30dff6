//go:build linux && cgo

package extract

/*
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// MuPDF prints its warnings and errors with fprintf(stderr, ...), from
// whichever thread runs it, with no word of the file. glibc lets a program
// replace stderr: this one writes through to file descriptor 2 as before,
// except on a thread inside a capture, where it keeps the text instead.

#define HOARD_CAPTURE_MAX 16384

static __thread char *hoard_captured; // NULL: no capture on this thread
static __thread size_t hoard_captured_len;

static ssize_t hoard_stderr_write(void *cookie, const char *buf, size_t n) {
	if (hoard_captured == NULL) {
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(2, buf + done, n - done);
			if (w < 0 && errno == EINTR) continue;
			if (w <= 0) break;
			done += w;
		}
		return n;
	}
	size_t room = HOARD_CAPTURE_MAX - hoard_captured_len;
	if (n < room) room = n;
	memcpy(hoard_captured + hoard_captured_len, buf, room);
	hoard_captured_len += room;
	return n;
}

__attribute__((constructor)) static void hoard_stderr_install(void) {
	cookie_io_functions_t io = { .write = hoard_stderr_write };
	FILE *f = fopencookie(NULL, "w", io);
	if (f == NULL) return;
	setvbuf(f, NULL, _IONBF, 0);
	fflush(stderr);
	stderr = f;
}

static int hoard_capture_begin(void) {
	hoard_captured = malloc(HOARD_CAPTURE_MAX);
	hoard_captured_len = 0;
	return hoard_captured != NULL;
}

// hoard_capture_end ends the thread's capture; the caller frees *text.
static size_t hoard_capture_end(char **text) {
	*text = hoard_captured;
	hoard_captured = NULL;
	return hoard_captured_len;
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// captureStderr runs fn, which calls MuPDF, and returns what MuPDF wrote on
// standard error meanwhile. The goroutine keeps to one thread, so the
// capture holds just what fn's calls print, not other documents' warnings.
func captureStderr(fn func()) (captured string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.hoard_capture_begin() == 0 {
		fn()
		return ""
	}
	defer func() { // also when fn panics, so the thread's capture ends
		var text *C.char
		n := C.hoard_capture_end(&text)
		captured = C.GoStringN(text, C.int(n))
		C.free(unsafe.Pointer(text))
	}()
	fn()
	return ""
}
