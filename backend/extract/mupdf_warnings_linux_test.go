package extract

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gen2brain/go-fitz"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// stderrOf runs fn with the process's standard error (file descriptor 2,
// where C libraries write) sent to a file, and returns what reached it.
func stderrOf(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(f.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	fn()
	if err := syscall.Dup3(saved, 2, 0); err != nil {
		t.Fatal(err)
	}
	syscall.Close(saved)
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// MuPDF's warnings about a PDF (a broken cross-reference table it
// repairs, a missing font) are kept on the document, not printed on
// standard error with no word of which file they are about.
func TestMuPDFWarningsAreKeptOnTheDocument(t *testing.T) {
	dir := testdata.Shared(t, "samples/docs/pdfminer")
	reg := NewRegistry(DefaultLimits())
	for _, tc := range []struct{ file, want string }{
		{"simple1.pdf", "trying to repair broken xref"},
		{"simple3.pdf", "missing font descriptor"},
		{"jo.pdf", "cannot find builtin CJK font"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var doc *Document
			printed := stderrOf(t, func() { doc, err = reg.Extract(context.Background(), tc.file, data) })
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(printed, tc.want) {
				t.Errorf("printed on stderr: %q", printed)
			}
			warnings, _ := doc.Metadata["pdf_warnings"].([]string)
			if !strings.Contains(strings.Join(warnings, "\n"), tc.want) {
				t.Errorf("warnings kept: %q, want %q", warnings, tc.want)
			}
		})
	}

	// Read at the same time, each document keeps its own warnings only.
	var wg sync.WaitGroup
	for range 4 {
		for _, tc := range []struct{ file, own, other string }{
			{"simple1.pdf", "repair", "CJK"}, {"jo.pdf", "CJK", "repair"},
		} {
			wg.Go(func() {
				data, err := os.ReadFile(filepath.Join(dir, tc.file))
				if err != nil {
					t.Error(err)
					return
				}
				for range 20 {
					doc, err := reg.Extract(context.Background(), tc.file, data)
					if err != nil {
						t.Error(err)
						return
					}
					ws := strings.Join(doc.Metadata["pdf_warnings"].([]string), "\n")
					if !strings.Contains(ws, tc.own) || strings.Contains(ws, tc.other) {
						t.Errorf("%s, read beside another: %q", tc.file, ws)
						return
					}
				}
			})
		}
	}
	wg.Wait()

	// Outside the extractor, MuPDF's output still reaches stderr.
	data, err := os.ReadFile(filepath.Join(dir, "simple1.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	printed := stderrOf(t, func() {
		if doc, err := fitz.NewFromMemory(data); err == nil {
			doc.Close()
		}
	})
	if !strings.Contains(printed, "repair") {
		t.Errorf("MuPDF opened directly printed %q", printed)
	}
}
