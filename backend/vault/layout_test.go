package vault

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/search"
)

// A real manual whose printed page numbers differ from the index (title
// pages "T-1", contents "i", body from 1): the viewer gets each page's words
// with their boxes and its printed label, and a search hit's passage can be
// found among them.
func TestPageLayoutOfARealPDF(t *testing.T) {
	const manual = "/usr/share/doc/libtasn1-doc/libtasn1.pdf"
	if _, err := os.Stat(manual); err != nil {
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatalf("%s is missing (apt install libtasn1-doc)", manual)
		}
		t.Skipf("%s is missing (apt install libtasn1-doc)", manual)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (apt install poppler-utils)")
	}
	ctx := context.Background()
	v := openVault(t, Options{})
	dir := t.TempDir()
	pdf := filepath.Join(dir, "libtasn1.pdf")
	data, err := os.ReadFile(manual)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, pdf, string(data))
	note := filepath.Join(dir, "note.md")
	writeFile(t, note, "# Note\n\nNo pages here.")
	if _, err := v.Add(ctx, []string{pdf, note}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	hits, err := v.Search(ctx, search.Request{Query: "Distinguished Encoding Rules", Limit: 1})
	if err != nil || len(hits) == 0 {
		t.Fatalf("search: %v %v", hits, err)
	}
	id := hits[0].DocID

	for _, c := range []struct {
		page  int
		label string
	}{{1, "T-1"}, {3, "i"}, {4, "1"}, {36, "33"}} {
		l, err := v.PageLayout(ctx, id, c.page)
		if err != nil {
			t.Fatalf("page %d: %v", c.page, err)
		}
		if l.Label != c.label || l.Page != c.page {
			t.Errorf("page %d: label %q, want %q", c.page, l.Label, c.label)
		}
	}
	l, err := v.PageLayout(ctx, id, hits[0].Page)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, ln := range l.Lines {
		for _, w := range ln.Words {
			words = append(words, w.Text)
		}
	}
	if !strings.Contains(strings.Join(words, " "), "Distinguished Encoding Rules") {
		t.Errorf("page %d's words lack the hit's phrase: %.300q", hits[0].Page, words)
	}

	if _, err := v.PageLayout(ctx, id, 37); !errors.Is(err, extract.ErrNoPage) {
		t.Errorf("page 37 of 36: %v", err)
	}
	noteHits, _ := v.Search(ctx, search.Request{Query: "No pages here", Limit: 1})
	if len(noteHits) == 0 {
		t.Fatal("the note was not found")
	}
	if _, err := v.PageLayout(ctx, noteHits[0].DocID, 1); !errors.Is(err, extract.ErrNotPaged) {
		t.Errorf("a page of markdown: %v", err)
	}
}
