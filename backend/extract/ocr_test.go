package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gen2brain/go-fitz"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

func needOCR(t *testing.T) *OCR {
	t.Helper()
	o, err := NewOCR("")
	if err != nil {
		if os.Getenv("HOARD_REQUIRE_OCR") == "1" {
			t.Fatalf("HOARD_REQUIRE_OCR=1: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return o
}

// A scanned PDF's page and the same page as PNG, JPEG-free TIFF aside, are
// read by tesseract; without an engine they say what to install.
func TestOCR(t *testing.T) {
	o := needOCR(t)
	data, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/docs"), "unstructured", "loremipsum-flat.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reg := NewRegistry(DefaultLimits()).WithOCR(o)
	doc, err := reg.Extract(ctx, "scan.pdf", data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Text, "Lorem ipsum") || doc.Sections[0].Page != 1 || doc.Metadata["ocr_pages"] == nil {
		t.Fatalf("OCR'd PDF: %q… sections %+v meta %v", doc.Text[:min(80, len(doc.Text))], doc.Sections, doc.Metadata)
	}
	fz, err := fitz.NewFromMemory(data)
	if err != nil {
		t.Fatal(err)
	}
	png, err := fz.ImagePNG(0, 200)
	fz.Close()
	if err != nil {
		t.Fatal(err)
	}
	img, err := reg.Extract(ctx, "page.png", png)
	if err != nil || img.MediaType != string(FormatPNG) || !strings.Contains(img.Text, "Lorem ipsum") {
		t.Fatalf("OCR'd PNG: %v %+v", err, img)
	}
	plain := NewRegistry(DefaultLimits())
	if _, err := plain.Extract(ctx, "page.png", png); !errors.Is(err, ErrNoText) || !strings.Contains(err.Error(), "apt install tesseract-ocr") {
		t.Errorf("PNG without OCR: %v", err)
	}
	if _, err := reg.Extract(ctx, "broken.png", png[:200]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated PNG: %v", err)
	}
}

func TestOCRParas(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Lorem ipsum\ndolor sit\n\nNew para\f", []string{"Lorem ipsum dolor sit", "New para"}},
		{"hyphen-\nated word", []string{"hyphenated word"}},
		{"a -\nb", []string{"a - b"}},
		{"\n\n  \n", nil},
	} {
		var got []string
		for _, p := range ocrParas(tc.in) {
			got = append(got, p.text)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("ocrParas(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
