package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// words splits text into lower-case runs of letters, digits and marks.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
	})
}

// recall is the share of reference words (as a multiset) found in got.
func recall(ref, got string) (float64, []string) {
	have := map[string]int{}
	for _, w := range words(got) {
		have[w]++
	}
	want := words(ref)
	if len(want) == 0 {
		return 1, nil
	}
	var missing []string
	found := 0
	for _, w := range want {
		if have[w] > 0 {
			have[w]--
			found++
		} else {
			missing = append(missing, w)
		}
	}
	return float64(found) / float64(len(want)), missing
}

// TestSampleRecall checks every reference text's words are recovered. The
// reference is normalized the same way as our output (ligatures, line-end
// hyphenation), since mending those is what we want.
func TestSampleRecall(t *testing.T) {
	dir := testdata.Shared(t, "samples/docs")
	refs, _ := filepath.Glob(filepath.Join(dir, "*", "*.*.txt"))
	if len(refs) < 10 {
		t.Fatalf("expected reference texts in %s, found %d", dir, len(refs))
	}
	reg := NewRegistry(DefaultLimits())
	for _, ref := range refs {
		base := strings.SplitN(filepath.Base(ref), ".", 2)[0]
		var doc string
		switch {
		case strings.HasSuffix(ref, ".pdftotext.txt"):
			doc = base + ".pdf"
		case strings.HasSuffix(ref, ".document_xml_text.txt"):
			doc = base + ".docx"
		case strings.HasSuffix(ref, ".content_xml_text.txt"):
			doc = base + ".odt"
		default:
			continue
		}
		t.Run(doc, func(t *testing.T) {
			want, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(filepath.Dir(ref), doc))
			if err != nil {
				t.Fatal(err)
			}
			got, err := reg.Extract(context.Background(), doc, data)
			if strings.TrimSpace(string(want)) == "" {
				if doc == "loremipsum-flat.pdf" && !errors.Is(err, ErrNoText) {
					t.Fatalf("want ErrNoText for a PDF without text layer, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			norm := strings.Join(Paragraphs(NormalizeText(string(want))), "\n")
			r, missing := recall(norm, got.Text)
			if r < 0.97 {
				t.Errorf("word recall %.3f < 0.97; missing %q", r, first(missing, 20))
			}
			// Words glued across line ends (or split inside) show up as
			// words the reference does not have.
			p, extra := recall(got.Text, norm)
			if p < 0.97 {
				t.Errorf("word precision %.3f < 0.97; words not in the reference %q", p, first(extra, 20))
			}
			t.Logf("recall %.3f precision %.3f (%d words)", r, p, len(words(norm)))
		})
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func TestTwoColumnReadingOrder(t *testing.T) {
	data, err := os.ReadFile(testdata.Shared(t, "samples/docs/unstructured/list-item-example.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := NewRegistry(DefaultLimits()).Extract(context.Background(), "list-item-example.pdf", data)
	if err != nil {
		t.Fatal(err)
	}
	one := strings.Index(doc.Text, "Module One")
	two := strings.Index(doc.Text, "Module Two")
	three := strings.Index(doc.Text, "Module Three")
	if !(one >= 0 && one < two && two < three) {
		t.Fatalf("columns out of order: One@%d Two@%d Three@%d", one, two, three)
	}
	// The left column's paragraph continues unbroken across its lines.
	if !strings.Contains(doc.Text, "including market research, defining requirements") {
		t.Errorf("left column paragraph interrupted")
	}
	// Bold short lines become headings that sections carry.
	found := false
	for _, s := range doc.Sections {
		if s.Page == 1 && len(s.Heading) > 0 && strings.HasPrefix(s.Heading[len(s.Heading)-1], "Module Two") {
			found = true
		}
	}
	if !found {
		t.Errorf("no section under the Module Two heading")
	}
}

func TestNormalization(t *testing.T) {
	cases := []struct{ in, want string }{
		{"of\uFB01ce e\uFB03cient \uFB02ow", "office efficient flow"},
		{"develop-\nment", "development"},
		{"self-\nEvident", "self- Evident"},
		{"line one\nline two", "line one line two"},
		{"end of word\n  start", "end of word start"},
		{"soft\u00ADhyphen", "softhyphen"},
		{"crlf\r\nline", "crlf line"},
		{"3-\n4", "3- 4"},
	}
	for _, tc := range cases {
		got := strings.Join(Paragraphs(NormalizeText(tc.in)), "\n\n")
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
