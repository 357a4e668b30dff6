package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"

	"github.com/gen2brain/go-fitz"
)

// ErrNotPaged is returned when asked for a page of a document that has none.
var ErrNotPaged = errors.New("only PDF documents have pages to show")

// ErrNoPage is returned for a page number the document does not have.
var ErrNoPage = errors.New("no such page")

// RenderPage draws page (1-based) of a PDF as a PNG about width pixels wide
// (clamped to 200–2400).
func RenderPage(ctx context.Context, path string, page, width int) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []byte
	// MuPDF's warnings about the file were kept when it was indexed.
	captureStderr(func() { out, err = renderPage(ctx, data, page, width) })
	return out, err
}

func renderPage(ctx context.Context, data []byte, page, width int) ([]byte, error) {
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer doc.Close()
	if page < 1 || page > doc.NumPage() {
		return nil, fmt.Errorf("page %d of %d: %w", page, doc.NumPage(), ErrNoPage)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	width = min(max(width, 200), 2400)
	// MuPDF renders at a resolution; a page's bound at 72 dpi is its size
	// in points, so the dpi that gives width pixels follows.
	b, err := doc.Bound(page - 1)
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", page, err)
	}
	dpi := 72.0
	if w := b.Dx(); w > 0 {
		dpi = 72 * float64(width) / float64(w)
	}
	img, err := doc.ImageDPI(page-1, dpi)
	if err != nil {
		return nil, fmt.Errorf("render page %d: %w", page, err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
