// Package testdata locates ../shared, the benchmark and sample data beside
// the checkout, for tests.
package testdata

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Shared returns the path of rel inside ../shared. When it is missing the
// test is skipped with a clear message, or fails when HOARD_REQUIRE_SHARED=1.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("HOARD_SHARED")
	if dir == "" {
		dir = filepath.Join(Root(), "..", "shared")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		msg := "shared data missing: " + p + " (put the shared/ folder beside the checkout or set HOARD_SHARED)"
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// NeedFFmpeg skips a test when ffmpeg is not installed, or fails it when
// HOARD_REQUIRE_FFMPEG=1 (CI).
func NeedFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("HOARD_REQUIRE_FFMPEG") == "1" {
			t.Fatal("ffmpeg is required (HOARD_REQUIRE_FFMPEG=1) but not installed")
		}
		t.Skip("ffmpeg not installed (sudo apt install ffmpeg)")
	}
}
