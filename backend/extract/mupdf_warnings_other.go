//go:build !linux || !cgo

package extract

// captureStderr runs fn. Elsewhere than glibc's Linux, standard error
// cannot be taken over for one thread, and MuPDF's warnings stay printed.
func captureStderr(fn func()) string {
	fn()
	return ""
}
