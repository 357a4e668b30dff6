package extract

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Navigation is not content: DocBook's navheader and navfooter, Sphinx's
// sidebar and related bar, <nav>, ARIA navigation and permalink signs are
// dropped; the text, its headings and its tables stay.
func TestHTMLDropsNavigation(t *testing.T) {
	page := `<html><head><title>bisect — Array bisection</title></head><body>
<div class="navheader"><table><tr><td><a href="prev.html">Prev</a></td><td>SQL Commands</td><td><a href="next.html">Next</a></td></tr></table></div>
<div class="related" role="navigation"><ul><li><a href="array.html">Next topic: array</a></li></ul></div>
<nav class="md-nav"><a href="/">Home</a> › <a href="/lib">Library</a></nav>
<div class="body">
<h1>bisect — Array bisection<a class="headerlink" href="#bisect">¶</a></h1>
<p>This module keeps a list in sorted order without sorting it after each insertion.</p>
<table><tr><th>Function</th><th>Purpose</th></tr><tr><td>bisect_left</td><td>locate the insertion point</td></tr></table>
</div>
<div class="sphinxsidebar"><h3>Previous topic</h3><p><a href="heapq.html">heapq</a></p><ul><li><a href="_sources/bisect.txt">Show Source</a></li></ul></div>
<div class="navfooter"><a href="prev.html">Prev</a> <a href="index.html">Home</a> <a href="next.html">Next</a></div>
</body></html>`
	doc, err := NewRegistry(DefaultLimits()).Extract(context.Background(), "bisect.html", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"Prev", "Next topic", "Home", "Show Source", "Previous topic", "heapq", "¶", "SQL Commands"} {
		if strings.Contains(doc.Text, gone) {
			t.Errorf("navigation %q kept:\n%s", gone, doc.Text)
		}
	}
	for _, kept := range []string{"bisect — Array bisection", "keeps a list in sorted order", "bisect_left | locate the insertion point"} {
		if !strings.Contains(doc.Text, kept) {
			t.Errorf("content %q lost:\n%s", kept, doc.Text)
		}
	}
}

// On a real documentation folder (the PostgreSQL manual as Debian ships
// it) no page keeps its Prev/Up/Home/Next bars.
func TestHTMLNavigationOnARealManual(t *testing.T) {
	dir := "/usr/share/doc/postgresql-doc-15/html"
	if _, err := os.Stat(filepath.Join(dir, "sql-createtable.html")); err != nil {
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatalf("the PostgreSQL manual is not installed (apt install postgresql-doc-15): %v", err)
		}
		t.Skipf("the PostgreSQL manual is not installed (apt install postgresql-doc-15): %v", err)
	}
	reg := NewRegistry(DefaultLimits())
	for _, page := range []string{"sql-createtable.html", "tutorial-join.html", "wal-configuration.html"} {
		data, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := reg.Extract(context.Background(), page, data)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(doc.Text, "Prev") && strings.Contains(doc.Text, "Home") {
			t.Errorf("%s keeps its navigation bar", page)
		}
		if len(doc.Text) < 2000 {
			t.Errorf("%s: %d characters left", page, len(doc.Text))
		}
	}
}

func TestPDFDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"D:20200107214006Z00'00'", "2020-01-07T21:40:06Z"},
		{"D:20041026181009+00'00'", "2004-10-26T18:10:09Z"},
		{"D:20230505120000+02'00'", "2023-05-05T10:00:00Z"},
		{"D:2019", "2019-01-01T00:00:00Z"},
		{"D:201906", "2019-06-01T00:00:00Z"},
		{"yesterday", ""},
		{"D:12", ""},
	} {
		got, ok := pdfDate(c.in)
		if s := got.Format(time.RFC3339); (c.want == "") == ok || (ok && s != c.want) {
			t.Errorf("pdfDate(%q) = %s %v, want %q", c.in, s, ok, c.want)
		}
	}
}
