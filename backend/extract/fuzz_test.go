package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

func zipOf(members ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(members); i += 2 {
		w, _ := zw.Create(members[i])
		w.Write([]byte(members[i+1]))
	}
	zw.Close()
	return buf.Bytes()
}

func minimalDOCX() []byte {
	return zipOf("word/document.xml", `<w:document xmlns:w="w"><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Title</w:t></w:r></w:p>
<w:p><w:r><w:t>Body text</w:t><w:tab/><w:t>after tab</w:t><w:br w:type="page"/><w:t>next page</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>`, "word/styles.xml", `<w:styles xmlns:w="w"><w:style w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`)
}

func minimalODT() []byte {
	return zipOf("mimetype", string(FormatODT), "content.xml", `<office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="tb"><office:body><office:text>
<text:h text:outline-level="1">Heading</text:h><text:p>Para<text:s text:c="2"/>graph<text:tab/>x</text:p>
<table:table><table:table-row><table:table-cell><text:p>c1</text:p></table:table-cell><table:table-cell><text:p>c2</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>`)
}

func minimalEPUB() []byte {
	return zipOf("mimetype", string(FormatEPUB),
		"META-INF/container.xml", `<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>`,
		"OEBPS/content.opf", `<package><metadata><title>Book</title><creator>Me</creator></metadata><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>`,
		"OEBPS/c1.xhtml", `<html><head><title>C1</title></head><body><h1>Chapter One</h1><p>It was a dark night.</p></body></html>`)
}

// seeds adds generated documents and, where ../shared is present, its samples.
func seeds(f *testing.F, ext string, generated ...[]byte) {
	for _, g := range generated {
		f.Add(g)
	}
	dir := filepath.Join(testdata.Root(), "..", "shared", "samples", "docs")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"+ext))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
}

// checkDoc asserts the invariants every extractor promises.
func checkDoc(t *testing.T, doc *Document, err error) {
	if err != nil {
		return
	}
	if !utf8.ValidString(doc.Text) {
		t.Fatal("text is not valid UTF-8")
	}
	last := 0
	for _, s := range doc.Sections {
		if s.Start < last || s.End < s.Start || s.End > len(doc.Text) {
			t.Fatalf("section [%d,%d) out of order or bounds (text %d bytes, previous end %d)", s.Start, s.End, len(doc.Text), last)
		}
		last = s.End
	}
}

func fuzzFormat(f *testing.F, name string) {
	reg := NewRegistry(Limits{MaxFileBytes: 4 << 20, MaxTextBytes: 4 << 20, MaxUnzippedBytes: 8 << 20, MaxZipEntries: 1000})
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := reg.Extract(context.Background(), name, data)
		checkDoc(t, doc, err)
	})
}

func FuzzText(f *testing.F) {
	seeds(f, ".txt", []byte("hello\n\nworld\fpage two"), []byte{0xff, 0xfe, 'h', 0, 'i', 0}, []byte("caf\xe9"))
	fuzzFormat(f, "x.txt")
}

func FuzzMarkdown(f *testing.F) {
	seeds(f, ".md", []byte("---\ntitle: T\ntags: [a, b]\n---\n# H1\n\ntext [[Link|alias]]\n\n```\n# not heading\n```\n\nSetext\n===\n"))
	fuzzFormat(f, "x.md")
}

func FuzzHTML(f *testing.F) {
	seeds(f, ".html", []byte("<html><head><title>T</title><script>x</script></head><body><h2>A</h2><p>b<br>c</p><table><tr><td>1</td><td>2</td></tr></table></body></html>"))
	fuzzFormat(f, "x.html")
}

func FuzzPDF(f *testing.F) {
	seeds(f, ".pdf", []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"))
	fuzzFormat(f, "x.pdf")
}

func FuzzDOCX(f *testing.F) {
	seeds(f, ".docx", minimalDOCX())
	fuzzFormat(f, "x.docx")
}

func FuzzODT(f *testing.F) {
	seeds(f, ".odt", minimalODT())
	fuzzFormat(f, "x.odt")
}

func FuzzEPUB(f *testing.F) {
	seeds(f, ".epub", minimalEPUB())
	fuzzFormat(f, "x.epub")
}

func TestMinimalFormats(t *testing.T) {
	reg := NewRegistry(DefaultLimits())
	cases := []struct {
		name, file string
		data       []byte
		format     Format
		contains   []string
		heading    string
		pages      int
	}{
		{"docx", "a.docx", minimalDOCX(), FormatDOCX, []string{"Body text\tafter tab", "a | b"}, "Title", 2},
		{"odt", "a.odt", minimalODT(), FormatODT, []string{"Para  graph\tx", "c1 | c2"}, "Heading", 1},
		{"epub", "a.epub", minimalEPUB(), FormatEPUB, []string{"It was a dark night."}, "Chapter One", 0},
		{"markdown", "a.md", []byte("---\ntitle: Front\n---\n# H1\n\nSee [[Other Note|it]].\n"), FormatMarkdown, []string{"[[Other Note|it]]"}, "H1", 0},
		{"html", "a.html", []byte("<title>T</title><h2>Sec</h2><p>Hi <b>there</b></p><script>no()</script>"), FormatHTML, []string{"Hi there"}, "Sec", 0},
		{"text by content", "noext", []byte("plain words"), FormatText, []string{"plain words"}, "", 0},
		{"html by content", "page.txt", []byte("<!DOCTYPE html><html><body><p>x y</p></body></html>"), FormatHTML, []string{"x y"}, "", 0},
		{"pdf by content", "renamed.txt", mustRead(t, "unstructured/fake-memo.pdf"), FormatPDF, []string{"20,000 bottles"}, "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := reg.Extract(context.Background(), tc.file, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			checkDoc(t, doc, nil)
			if doc.MediaType != string(tc.format) {
				t.Errorf("format %s, want %s", doc.MediaType, tc.format)
			}
			for _, c := range tc.contains {
				if !bytes.Contains([]byte(doc.Text), []byte(c)) {
					t.Errorf("text %q lacks %q", doc.Text, c)
				}
			}
			if tc.heading != "" {
				found := false
				for _, s := range doc.Sections {
					if len(s.Heading) > 0 && s.Heading[len(s.Heading)-1] == tc.heading {
						found = true
					}
				}
				if !found {
					t.Errorf("no section under heading %q: %+v", tc.heading, doc.Sections)
				}
			}
			if doc.Pages != tc.pages {
				t.Errorf("pages %d, want %d", doc.Pages, tc.pages)
			}
		})
	}
}

func mustRead(t *testing.T, rel string) []byte {
	b, err := os.ReadFile(testdata.Shared(t, filepath.Join("samples/docs", rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pdftotext's word boxes are read from a process's output: bounded, and
// never a panic.
func FuzzBBoxLayout(f *testing.F) {
	f.Add(`<html><body><doc><page width="612" height="792"><flow><block><line><word xMin="90" yMin="594" xMax="111" yMax="603">This</word></line></block></flow></page></doc></body></html>`)
	f.Add(`<page width="1e400"><line><word xMin="-1" yMin="NaN" xMax="2" yMax="3">&amp;&nbsp;</word>`)
	f.Fuzz(func(t *testing.T, in string) {
		l, err := parseBBoxLayout(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, ln := range l.Lines {
			for _, w := range ln.Words {
				if w.W < 0 || w.H < 0 || w.Text == "" {
					t.Fatalf("word %+v", w)
				}
			}
		}
	})
}

// A PDF's page labels are read from an untrusted file: an error, never a
// panic, and never more labels than pages.
func FuzzPageLabels(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/PageLabels<</Nums[0<</S/r>>2<</S/D/P(A-)/St 3>>]>>>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"))
	if data, err := os.ReadFile(labelledPDF); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := PageLabels(bytes.NewReader(data), 40)
		if err == nil && labels != nil && len(labels) != 40 {
			t.Fatalf("%d labels for 40 pages", len(labels))
		}
	})
}
