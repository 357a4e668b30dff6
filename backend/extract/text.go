package extract

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// decodeText turns file bytes into UTF-8: UTF-8 (with or without BOM), UTF-16
// with a BOM, and otherwise Windows-1252, the usual legacy encoding.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return "", fmt.Errorf("%w: bad UTF-16: %v", ErrCorrupt, err)
		}
		return NormalizeText(string(out)), nil
	}
	sample := data
	if len(sample) > 64<<10 {
		sample = sample[:64<<10]
	}
	if binaryRatio(sample) >= 0.02 {
		return "", ErrBinary
	}
	if utf8.Valid(data) {
		return NormalizeText(string(data)), nil
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return "", fmt.Errorf("%w: undecodable text: %v", ErrCorrupt, err)
	}
	return NormalizeText(string(out)), nil
}

type textExtractor struct{}

// Extract keeps paragraphs and treats form feeds as page breaks, the way
// text dumps of paged documents mark them.
func (textExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	s, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	var b builder
	pages := []string{s}
	if strings.Contains(s, "\f") {
		pages = strings.Split(strings.TrimRight(s, "\f\n"), "\f")
	}
	for i, pg := range pages {
		if len(pages) > 1 {
			b.setPage(i + 1)
		}
		for _, p := range splitBlank(pg) {
			b.paragraph(p)
		}
	}
	doc := b.document()
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: no text", ErrEmpty)
	}
	return doc, nil
}

// FromText builds a document from text that arrives already decoded, such as
// a record of a JSONL corpus.
func FromText(title, text string) (*Document, error) {
	var b builder
	for _, p := range splitBlank(NormalizeText(text)) {
		b.paragraph(p)
	}
	doc := b.document()
	doc.Title = strings.TrimSpace(title)
	doc.MediaType = string(FormatText)
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: no text", ErrEmpty)
	}
	return doc, nil
}
