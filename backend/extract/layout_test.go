package extract

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// libtasn1's manual, as Debian ships it, numbers its title pages "T-1",
// "T-2", its contents "i" and its body from 1: a real file whose printed
// labels differ from the page index.
const labelledPDF = "/usr/share/doc/libtasn1-doc/libtasn1.pdf"

func needFile(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		msg := path + " is missing (apt install " + pkg + ")"
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

func TestPageLabelsOfARealManual(t *testing.T) {
	needFile(t, labelledPDF, "libtasn1-doc")
	f, err := os.Open(labelledPDF)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels, err := PageLabels(f, 36)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{0: "T-1", 1: "T-2", 2: "i", 3: "1", 4: "2", 35: "33"}
	for i, w := range want {
		if labels[i] != w {
			t.Errorf("page %d: label %q, want %q", i+1, labels[i], w)
		}
	}

	// A file that declares no labels has none; a damaged one fails alone.
	plain, err := os.Open(testdata.Shared(t, "samples/docs/unstructured/loremipsum-flat.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if l, err := PageLabels(plain, 1); err != nil || l != nil {
		t.Errorf("a file without labels: %q, %v", l, err)
	}
	if _, err := PageLabels(bytes.NewReader([]byte("%PDF-1.4\nnot really")), 3); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a damaged file: %v, want ErrCorrupt", err)
	}
}

func TestLabelNumbers(t *testing.T) {
	for _, c := range []struct {
		style string
		n     int
		want  string
	}{
		{"D", 7, "7"}, {"r", 4, "iv"}, {"r", 1994, "mcmxciv"}, {"R", 9, "IX"},
		{"a", 1, "a"}, {"a", 27, "aa"}, {"A", 28, "BB"}, {"", 5, ""},
	} {
		if got := labelNumber(c.style, c.n); got != c.want {
			t.Errorf("labelNumber(%q, %d) = %q, want %q", c.style, c.n, got, c.want)
		}
	}
	// Pages before the first range have none; /St starts a range's count.
	got := expandLabels([]labelRange{{start: 3, style: "D", first: 1}, {start: 1, style: "r", first: 1}, {start: 5, style: "A", prefix: "App. ", first: 2}}, 7)
	want := []string{"", "i", "ii", "1", "2", "App. B", "App. C"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("expandLabels = %q, want %q", got, want)
	}
}

func TestLayoutPlacesWords(t *testing.T) {
	needFile(t, labelledPDF, "libtasn1-doc")
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (apt install poppler-utils)")
	}
	l, err := Layout(context.Background(), labelledPDF, 2)
	if err != nil {
		t.Fatal(err)
	}
	if l.Page != 2 || l.Width != 612 || l.Height != 792 {
		t.Fatalf("page %d, %vx%v; want page 2, 612x792 points", l.Page, l.Width, l.Height)
	}
	var words []string
	for _, ln := range l.Lines {
		for _, w := range ln.Words {
			if w.X < 0 || w.Y < 0 || w.X+w.W > l.Width || w.Y+w.H > l.Height || w.W <= 0 || w.H <= 0 {
				t.Errorf("word %q has a box off the page: %+v", w.Text, w)
			}
			words = append(words, w.Text)
		}
	}
	text := strings.Join(words, " ")
	if !strings.Contains(text, "This manual is for GNU Libtasn1") {
		t.Errorf("the page's words in order: %.200q", text)
	}
	first := l.Lines[0].Words[0]
	if first.Text != "This" || first.X != 90 || first.Y < 590 || first.Y > 598 {
		t.Errorf("first word %+v, want \"This\" at x 90, y about 594", first)
	}
	if _, err := Layout(context.Background(), labelledPDF, 99); err == nil {
		t.Error("page 99 of 36 was placed")
	}
}

func TestBBoxLayoutRefusesDamage(t *testing.T) {
	for _, in := range []string{"", "<html><body><doc></doc></body></html>", "<page width='x'><line><word xMin='1'>a", "\x00\xff<<"} {
		if _, err := parseBBoxLayout(strings.NewReader(in)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: %v, want ErrCorrupt", in, err)
		}
	}
}
