// Package testdata locates ../shared, the benchmark and sample data beside
// the checkout, for tests.
package testdata

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hoardvault/hoard/models"
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

// Model returns the folder of an installed real model (`make models`
// installs them into the default models folder, or $HOARD_MODELS; tests
// that point HOARD_MODELS elsewhere keep the real folder in
// $HOARD_REAL_MODELS). When it is not installed the test is skipped with a
// clear message, or fails when HOARD_REQUIRE_MODELS=1 (CI).
func Model(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("HOARD_REAL_MODELS")
	if dir == "" {
		dir = models.DefaultDir()
	}
	m := models.NewManager(dir)
	inst, err := m.Get(name)
	if err != nil {
		msg := "real model " + name + " not installed in " + m.Dir + " (run `make models MODELS=" + name + "`): " + err.Error()
		if os.Getenv("HOARD_REQUIRE_MODELS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return inst.Dir
}
