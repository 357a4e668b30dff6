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
)

// ErrNoOCR says no OCR engine is installed.
var ErrNoOCR = errors.New("tesseract is not installed (Debian/Ubuntu: apt install tesseract-ocr tesseract-ocr-eng)")

// ErrOCRLang says tesseract has no data for a language asked for.
var ErrOCRLang = errors.New("tesseract has no data for the OCR language")

// OCR reads text from images with the tesseract command (Debian's
// tesseract-ocr). The command, not a cgo binding, keeps a crash in the engine
// out of Hoard's process and the build free of its headers.
type OCR struct {
	bin  string
	lang string
	dpi  float64 // resolution PDF pages are rendered at for reading
}

// NewOCR finds tesseract; lang is its language list ("eng", "eng+deu").
func NewOCR(lang string) (*OCR, error) {
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		return nil, ErrNoOCR
	}
	if lang == "" {
		lang = "eng"
	}
	// Without a language's data every page fails, which reads as a corrupt
	// image or a scan with no text: say which package is missing instead.
	have, err := languages(bin)
	if err != nil {
		return nil, err
	}
	var missing, pkgs []string
	for _, l := range strings.Split(lang, "+") {
		if !slices.Contains(have, l) {
			missing = append(missing, l)
			pkgs = append(pkgs, "tesseract-ocr-"+strings.ToLower(strings.ReplaceAll(l, "_", "-")))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w %s (Debian/Ubuntu: apt install %s; installed: %s)",
			ErrOCRLang, strings.Join(missing, "+"), strings.Join(pkgs, " "), strings.Join(have, ", "))
	}
	return &OCR{bin: bin, lang: lang, dpi: 300}, nil
}

// languages lists the languages tesseract has data for.
func languages(bin string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Older versions print the list on stderr.
	out, err := exec.CommandContext(ctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ocr: tesseract --list-langs: %w: %s", err, bytes.TrimSpace(out))
	}
	var have []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "List of available languages") {
			have = append(have, l)
		}
	}
	return have, nil
}

// Read returns the text of one image (PNG, JPEG, TIFF…).
func (o *OCR) Read(ctx context.Context, img []byte) (string, error) {
	f, err := os.CreateTemp("", "hoard-ocr-*")
	if err != nil {
		return "", fmt.Errorf("ocr: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(img); err != nil {
		f.Close()
		return "", fmt.Errorf("ocr: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("ocr: %w", err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, o.bin, f.Name(), "stdout", "-l", o.lang, "--psm", "3")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1") // the vault's workers already use every core
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return "", fmt.Errorf("ocr: tesseract: %v: %s", err, msg)
	}
	return out.String(), nil
}

// ocrParas turns tesseract's output into paragraphs: blank lines separate
// them; lines inside one are joined, with words hyphenated at a line end
// mended.
func ocrParas(text string) []pdfPara {
	var out []pdfPara
	for _, block := range strings.Split(strings.ReplaceAll(text, "\f", "\n\n"), "\n\n") {
		var sb strings.Builder
		for _, line := range strings.Split(block, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if s := sb.String(); strings.HasSuffix(s, "-") && len(s) > 1 && s[len(s)-2] != ' ' {
				sb.Reset()
				sb.WriteString(s[:len(s)-1])
			} else if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(line)
		}
		if sb.Len() > 0 {
			out = append(out, pdfPara{text: sb.String()})
		}
	}
	return out
}

// imageExtractor reads a picture's text with OCR; without an engine, the
// image is indexed empty with the reason.
type imageExtractor struct{ ocr *OCR }

func (e imageExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	if e.ocr == nil {
		return nil, fmt.Errorf("%w: %w", ErrNoText, ErrNoOCR)
	}
	text, err := e.ocr.Read(ctx, data)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the image cannot be read (%v)", ErrCorrupt, err)
	}
	var b builder
	b.setPage(1)
	for _, p := range ocrParas(text) {
		b.paragraph(NormalizeText(p.text))
	}
	doc := b.document()
	doc.Pages = 1
	doc.Metadata = map[string]any{"ocr": "tesseract"}
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: OCR found no text in the image", ErrNoText)
	}
	return doc, nil
}
