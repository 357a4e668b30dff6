// Package extract turns files into text with structure: sections that carry a
// page number and a heading path, so every later hit can be cited. One
// Extractor per format; the format is detected from the content.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// Section is a span [Start, End) of Document.Text (byte offsets) that lies on
// one page under one heading path. Page is 1-based; 0 means the format has no
// pages.
type Section struct {
	Page    int
	Heading []string
	Start   int
	End     int
	// From and To are where a transcript's section was spoken; both zero
	// for text.
	From, To time.Duration
	// Speaker is who speaks a transcript's section, when the engine says.
	Speaker string
	// Marks are when the section's words are spoken, in text order.
	Marks []Mark
}

// Mark is where a transcript's word (or segment, when the engine gives no
// word times) starts in Document.Text (a byte offset) and when it is spoken.
type Mark struct {
	Offset     int
	Start, End time.Duration
}

// Document is the result of extraction.
type Document struct {
	Title     string
	MediaType string
	Metadata  map[string]any
	Text      string
	Sections  []Section
	// Pages is the number of pages of a paged format (0 otherwise).
	Pages int
}

// Extractor turns one file's bytes into a Document.
type Extractor interface {
	Extract(ctx context.Context, name string, data []byte) (*Document, error)
}

// Limits bound what extraction may allocate, so hostile files fail alone.
type Limits struct {
	MaxFileBytes     int64 // files larger than this are refused
	MaxTextBytes     int   // extracted text beyond this is an error
	MaxUnzippedBytes int64 // total decompressed size of a zip container
	MaxZipEntries    int
}

// DefaultLimits suit a desktop vault.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:     512 << 20,
		MaxTextBytes:     64 << 20,
		MaxUnzippedBytes: 256 << 20,
		MaxZipEntries:    20000,
	}
}

// Error kinds callers can test with errors.Is.
var (
	ErrUnsupported = errors.New("unsupported format")
	ErrNoText      = errors.New("no text layer; OCR needed")
	ErrTooLarge    = errors.New("too large")
	ErrEncrypted   = errors.New("encrypted")
	ErrCorrupt     = errors.New("corrupt or truncated file")
	ErrBinary      = errors.New("binary data, not text")
	ErrEmpty       = errors.New("empty file")
)

// Format names a supported format.
type Format string

const (
	FormatText     Format = "text/plain"
	FormatMarkdown Format = "text/markdown"
	FormatHTML     Format = "text/html"
	FormatPDF      Format = "application/pdf"
	FormatDOCX     Format = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	FormatODT      Format = "application/vnd.oasis.opendocument.text"
	FormatEPUB     Format = "application/epub+zip"
	FormatPNG      Format = "image/png"
	FormatJPEG     Format = "image/jpeg"
	FormatTIFF     Format = "image/tiff"
)

// Extensions of files a folder walk picks up. Anything else in a folder is
// skipped; a file named explicitly is always tried.
var knownExt = map[string]bool{
	".txt": true, ".text": true, ".md": true, ".markdown": true, ".mdown": true, ".mkd": true,
	".html": true, ".htm": true, ".xhtml": true, ".pdf": true, ".docx": true, ".odt": true, ".epub": true,
	".rst": true, ".org": true, ".csv": true, ".tsv": true, ".log": true, ".json": true, ".jsonl": true,
	".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true,
}

var textExt = map[string]bool{
	".txt": true, ".text": true, ".md": true, ".markdown": true, ".mdown": true, ".mkd": true, ".html": true,
	".htm": true, ".xhtml": true, ".rst": true, ".org": true, ".csv": true, ".tsv": true, ".log": true, ".json": true, ".jsonl": true,
}

// Known reports whether a folder walk should pick up a file with this name.
func Known(name string) bool { return knownExt[strings.ToLower(filepath.Ext(name))] }

// Detect decides the format from the content first and the name second.
func Detect(name string, data []byte) (Format, error) {
	if len(data) == 0 {
		return "", ErrEmpty
	}
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.Contains(head, []byte("%PDF-")):
		return FormatPDF, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return detectZip(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG, nil
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		return FormatTIFF, nil
	}
	sniff := http.DetectContentType(data)
	textual := strings.HasPrefix(sniff, "text/") || looksLikeText(head)
	if !textual && textExt[ext] {
		return "", ErrBinary
	}
	if !textual {
		return "", fmt.Errorf("%w (%s)", ErrUnsupported, strings.SplitN(sniff, ";", 2)[0])
	}
	switch {
	case ext == ".md" || ext == ".markdown" || ext == ".mdown" || ext == ".mkd":
		return FormatMarkdown, nil
	case strings.HasPrefix(sniff, "text/html") || ext == ".html" || ext == ".htm" || ext == ".xhtml":
		return FormatHTML, nil
	}
	return FormatText, nil
}

// looksLikeText accepts UTF-16 with a byte-order mark and legacy 8-bit text,
// which content sniffing calls binary.
func looksLikeText(b []byte) bool {
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return true
	}
	return binaryRatio(b) < 0.02
}

// binaryRatio is the share of bytes that never occur in text.
func binaryRatio(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	bad := 0
	for _, c := range b {
		if c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) {
			bad++
		}
	}
	return float64(bad) / float64(len(b))
}

// Registry maps formats to their extractors.
type Registry struct {
	limits     Limits
	extractors map[Format]Extractor
}

// NewRegistry returns the standard extractors with the given limits.
func NewRegistry(l Limits) *Registry {
	zl := zipLimits{maxBytes: l.MaxUnzippedBytes, maxEntries: l.MaxZipEntries}
	return &Registry{limits: l, extractors: map[Format]Extractor{
		FormatText:     textExtractor{},
		FormatMarkdown: markdownExtractor{},
		FormatHTML:     htmlExtractor{},
		FormatPDF:      pdfExtractor{},
		FormatDOCX:     docxExtractor{zl},
		FormatODT:      odtExtractor{zl},
		FormatEPUB:     epubExtractor{zl},
		FormatPNG:      imageExtractor{},
		FormatJPEG:     imageExtractor{},
		FormatTIFF:     imageExtractor{},
	}}
}

// WithOCR has scanned PDF pages and images read by OCR. It is set up once,
// before the registry is used.
func (r *Registry) WithOCR(o *OCR) *Registry {
	r.extractors[FormatPDF] = pdfExtractor{ocr: o}
	for _, f := range []Format{FormatPNG, FormatJPEG, FormatTIFF} {
		r.extractors[f] = imageExtractor{ocr: o}
	}
	return r
}

// Limits returns the registry's limits.
func (r *Registry) Limits() Limits { return r.limits }

// Extract detects the format of data and extracts it.
func (r *Registry) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	if int64(len(data)) > r.limits.MaxFileBytes {
		return nil, fmt.Errorf("%w: %d MiB, the limit is %d MiB", ErrTooLarge, len(data)>>20, r.limits.MaxFileBytes>>20)
	}
	f, err := Detect(name, data)
	if err != nil {
		return nil, err
	}
	ex, ok := r.extractors[f]
	if !ok {
		return nil, fmt.Errorf("%w (%s)", ErrUnsupported, f)
	}
	doc, err := ex.Extract(ctx, name, data)
	if err != nil {
		return nil, err
	}
	doc.MediaType = string(f)
	if len(doc.Text) > r.limits.MaxTextBytes {
		return nil, fmt.Errorf("%w: %d MiB of text, the limit is %d MiB", ErrTooLarge, len(doc.Text)>>20, r.limits.MaxTextBytes>>20)
	}
	if doc.Title == "" {
		doc.Title = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	if !utf8.ValidString(doc.Text) {
		doc.Text = strings.ToValidUTF8(doc.Text, "\uFFFD")
	}
	return doc, nil
}

// HeadBytes is how much of a file CheckSize wants to see.
const HeadBytes = 1024

// CheckSize refuses, before a file is read, one that cannot fit the limits:
// past MaxFileBytes, or a plain text or Markdown file of more than twice
// MaxTextBytes (UTF-16 takes two bytes a character; no other text encoding
// decodes to less than half its size). head is the file's first HeadBytes.
func (r *Registry) CheckSize(name string, head []byte, size int64) error {
	if size > r.limits.MaxFileBytes {
		return fmt.Errorf("%w: %d MiB, the limit is %d MiB", ErrTooLarge, size>>20, r.limits.MaxFileBytes>>20)
	}
	if f, err := Detect(name, head); err == nil && (f == FormatText || f == FormatMarkdown) && size > 2*int64(r.limits.MaxTextBytes) {
		return fmt.Errorf("%w: %d MiB of text, the limit is %d MiB", ErrTooLarge, size>>20, r.limits.MaxTextBytes>>20)
	}
	return nil
}
