package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gen2brain/go-fitz"
)

type pdfExtractor struct{ ocr *OCR }

// maxOCRPages bounds the pages of one PDF read by OCR (seconds each).
const maxOCRPages = 2000

// Extract reads a PDF page by page with MuPDF. MuPDF orders text blocks the
// way they are read (two columns come out column by column). Pages whose
// text looks undecodable (CID fonts without a Unicode map, which the bundled
// MuPDF lacks for CJK) are read again with poppler's pdftotext when that is
// installed, and the more plausible text wins.
//
// What MuPDF prints about the file (a damaged cross-reference table it
// repairs, a missing font) is kept on the document as pdf_warnings, or in
// its error when it fails, rather than printed with no file named.
func (e pdfExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	var doc *Document
	var err error
	warnings := mupdfWarnings(captureStderr(func() { doc, err = e.extract(ctx, data) }))
	switch {
	case len(warnings) == 0:
	case err != nil:
		err = fmt.Errorf("%w (MuPDF: %s)", err, strings.Join(warnings, "; "))
	default:
		doc.Metadata["pdf_warnings"] = warnings
	}
	return doc, err
}

// maxWarnings bounds the MuPDF messages kept for one document.
const maxWarnings = 20

// mupdfWarnings splits MuPDF's output into its messages, each once.
func mupdfWarnings(out string) []string {
	var ws []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(ws, l) && len(ws) < maxWarnings {
			ws = append(ws, l)
		}
	}
	return ws
}

func (e pdfExtractor) extract(ctx context.Context, data []byte) (*Document, error) {
	pages, meta, err := mupdfPages(data)
	if err != nil {
		return nil, err
	}
	if suspicious(pages) {
		if alt, err := popplerPages(ctx, data); err == nil && len(alt) == len(pages) {
			for i := range pages {
				if plausibility(alt[i]) > plausibility(joinParas(pages[i]))*11/10+2 {
					pages[i] = plainParas(alt[i])
				}
			}
		}
	}
	ocred, err := e.readScans(ctx, data, pages)
	if err != nil {
		return nil, err
	}
	var b builder
	var empty []int
	for i, pg := range pages {
		b.setPage(i + 1)
		before := b.len()
		for _, p := range pg {
			text := NormalizeText(p.text)
			if p.heading > 0 {
				b.setHeading(p.heading, text)
			}
			b.paragraph(text)
		}
		if b.len() == before {
			empty = append(empty, i+1)
		}
	}
	doc := b.document()
	doc.Pages = len(pages)
	doc.Metadata = meta
	if t, ok := meta["title"].(string); ok {
		doc.Title = t
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: the PDF has no pages", ErrCorrupt)
	}
	if strings.TrimSpace(doc.Text) == "" {
		if e.ocr == nil {
			return nil, fmt.Errorf("%w: %w", ErrNoText, ErrNoOCR)
		}
		return nil, fmt.Errorf("%w: OCR found no text either", ErrNoText)
	}
	if len(empty) > 0 {
		doc.Metadata["pages_without_text"] = empty
	}
	if len(ocred) > 0 {
		doc.Metadata["ocr_pages"] = ocred
	}
	return doc, nil
}

// readScans reads the pages without a text layer (scans) with OCR, in place;
// it returns their numbers. A page OCR fails on stays empty; a cancelled
// context stops the document.
func (e pdfExtractor) readScans(ctx context.Context, data []byte, pages [][]pdfPara) ([]int, error) {
	if e.ocr == nil {
		return nil, nil
	}
	var scans []int
	for i, pg := range pages {
		if strings.TrimSpace(joinParas(pg)) == "" && len(scans) < maxOCRPages {
			scans = append(scans, i)
		}
	}
	if len(scans) == 0 {
		return nil, nil
	}
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		return nil, fmt.Errorf("%w: MuPDF cannot open it", ErrCorrupt)
	}
	defer doc.Close()
	var done []int
	for _, i := range scans {
		img, err := doc.ImagePNG(i, e.ocr.dpi)
		if err != nil {
			continue
		}
		text, err := e.ocr.Read(ctx, img)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			continue
		}
		if paras := ocrParas(text); len(paras) > 0 {
			pages[i] = paras
			done = append(done, i+1)
		}
	}
	return done, nil
}

func mupdfPages(data []byte) (pages [][]pdfPara, meta map[string]any, err error) {
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		if doc != nil {
			doc.Close()
		}
		if errors.Is(err, fitz.ErrNeedsPassword) {
			return nil, nil, fmt.Errorf("%w: the PDF needs a password", ErrEncrypted)
		}
		return nil, nil, fmt.Errorf("%w: MuPDF cannot open it", ErrCorrupt)
	}
	defer doc.Close()
	n := doc.NumPage()
	for i := 0; i < n; i++ {
		pages = append(pages, pageText(doc, i))
	}
	meta = map[string]any{}
	for k, v := range doc.Metadata() {
		v = strings.TrimSpace(strings.TrimRight(v, "\x00"))
		if i := strings.IndexByte(v, 0); i >= 0 {
			v = v[:i]
		}
		if v != "" && k != "format" && k != "encryption" {
			meta[k] = v
		}
	}
	meta["pages"] = n
	if d, ok := meta["creationDate"].(string); ok {
		if t, ok := pdfDate(d); ok {
			meta["created"] = t.Format(time.RFC3339) // what date filters read
		}
	}
	return pages, meta, nil
}

// pdfDate reads a PDF date string, D:YYYYMMDDHHmmSSOHH'mm' with every part
// after the year optional (O is Z, + or -).
func pdfDate(s string) (time.Time, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits < 4 || digits%2 != 0 {
		return time.Time{}, false
	}
	// The missing parts default to January 1st, midnight.
	full := s[:digits] + "0101000000"[digits-4:]
	t, err := time.Parse("20060102150405", full)
	if err != nil {
		return time.Time{}, false
	}
	rest := strings.ReplaceAll(s[digits:], "'", "")
	if len(rest) >= 5 && (rest[0] == '+' || rest[0] == '-') {
		var h, m int
		if _, err := fmt.Sscanf(rest[1:5], "%02d%02d", &h, &m); err == nil {
			off := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
			if rest[0] == '+' {
				off = -off
			}
			t = t.Add(off)
		}
	}
	return t.UTC(), true
}

// pageText orders the page's lines for reading (columns one after the
// other). Should the positioned lines lose text that MuPDF's plain output has
// (unusual layouts), the plain output is used.
func pageText(doc *fitz.Document, i int) []pdfPara {
	plain, err := doc.Text(i)
	if err != nil {
		return nil // one broken page does not sink the rest
	}
	fallback := plainParas(plain)
	h, err := doc.HTML(i, false)
	if err != nil {
		return fallback
	}
	lines := parsePageHTML(h)
	if len(lines) == 0 {
		return fallback
	}
	paras := paragraphs(readingOrder(lines))
	if plausibility(joinParas(paras)) < plausibility(plain)*9/10 {
		return fallback
	}
	return paras
}

func plainParas(text string) []pdfPara {
	var out []pdfPara
	for _, p := range Paragraphs(NormalizeText(text)) {
		out = append(out, pdfPara{text: p})
	}
	return out
}

func joinParas(ps []pdfPara) string {
	var sb strings.Builder
	for _, p := range ps {
		sb.WriteString(p.text)
		sb.WriteString("\n\n")
	}
	return sb.String()
}

// suspicious reports text that MuPDF probably failed to decode.
func suspicious(pages [][]pdfPara) bool {
	for _, pp := range pages {
		p := joinParas(pp)
		if strings.ContainsRune(p, '\uFFFD') {
			return true
		}
		for _, tok := range strings.Fields(p) {
			if len(tok) >= 6 && alnumShare(tok) < 0.5 {
				return true
			}
		}
	}
	return false
}

func alnumShare(tok string) float64 {
	n, good := 0, 0
	for _, r := range tok {
		n++
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			good++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(good) / float64(n)
}

// plausibility counts letters and digits in tokens that look like words.
func plausibility(s string) int {
	score := 0
	for _, tok := range strings.Fields(s) {
		if strings.ContainsRune(tok, '\uFFFD') || alnumShare(tok) < 0.5 {
			continue
		}
		for _, r := range tok {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				score++
			}
		}
	}
	return score
}

// popplerPages runs pdftotext, which ships CJK maps with poppler-data.
func popplerPages(ctx context.Context, data []byte) ([]string, error) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "hoard-*.pdf")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-q", "-enc", "UTF-8", f.Name(), "-")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	pages := strings.Split(out.String(), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages, nil
}
