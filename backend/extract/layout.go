package extract

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNoLayout says that word positions cannot be had on this machine: the
// viewer then shows the page without its text layer.
var ErrNoLayout = errors.New("pdftotext is not installed (Debian/Ubuntu: apt install poppler-utils), so the page's words cannot be placed")

// PageLayout is where a PDF page's words sit, in points from the page's top
// left corner, so that a viewer can lay selectable text over the drawn page
// and mark a cited passage on it.
type PageLayout struct {
	Page   int     `json:"page"`
	Label  string  `json:"label,omitempty"` // the printed page label, where the file gives one
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Lines  []Line  `json:"lines"`
}

// Line is one line of words, in reading order.
type Line struct {
	Words []Word `json:"words"`
}

// Word is a word and its box.
type Word struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	W    float64 `json:"w"`
	H    float64 `json:"h"`
	Text string  `json:"t"`
}

// Bounds on what one page's layout may hold: a page is not a book.
const (
	maxLayoutBytes = 32 << 20
	maxLayoutWords = 50_000
)

// Layout places the words of page (1-based) of the PDF at path. poppler's
// pdftotext gives each word's box (MuPDF, which draws the pages, gives only
// lines through the binding Hoard uses); its coordinates are the same points
// MuPDF draws in, rotation included.
func Layout(ctx context.Context, path string, page int) (PageLayout, error) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return PageLayout{}, ErrNoLayout
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p := strconv.Itoa(page)
	cmd := exec.CommandContext(ctx, bin, "-q", "-enc", "UTF-8", "-bbox-layout", "-f", p, "-l", p, path, "-")
	var out limitedBuffer
	out.limit = maxLayoutBytes
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return PageLayout{}, fmt.Errorf("placing the words of page %d: %w", page, ctx.Err())
		}
		return PageLayout{}, fmt.Errorf("%w: pdftotext: %v %s", ErrCorrupt, err, strings.TrimSpace(stderr.String()))
	}
	if out.over {
		return PageLayout{}, fmt.Errorf("page %d: its layout is over %d MiB", page, maxLayoutBytes>>20)
	}
	l, err := parseBBoxLayout(bytes.NewReader(out.Bytes()))
	if err != nil {
		return PageLayout{}, fmt.Errorf("page %d: %w", page, err)
	}
	l.Page = page
	return l, nil
}

// parseBBoxLayout reads pdftotext's -bbox-layout XHTML for one page: page
// size, then lines of words with xMin/yMin/xMax/yMax.
func parseBBoxLayout(r io.Reader) (PageLayout, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = false // pdftotext writes XHTML; entities such as &nbsp; may appear
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var (
		l      PageLayout
		pages  int
		inLine bool
		words  int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return PageLayout{}, fmt.Errorf("%w: word positions: %v", ErrCorrupt, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "page":
				pages++
				if pages > 1 {
					return l, nil // one page was asked for
				}
				l.Width, l.Height = attrFloat(t, "width"), attrFloat(t, "height")
			case "line":
				if pages == 1 {
					l.Lines = append(l.Lines, Line{})
					inLine = true
				}
			case "word":
				if !inLine {
					continue
				}
				var text string
				if err := dec.DecodeElement(&text, &t); err != nil {
					return PageLayout{}, fmt.Errorf("%w: word positions: %v", ErrCorrupt, err)
				}
				x0, y0 := attrFloat(t, "xMin"), attrFloat(t, "yMin")
				x1, y1 := attrFloat(t, "xMax"), attrFloat(t, "yMax")
				text = strings.TrimSpace(text)
				if text == "" || x1 < x0 || y1 < y0 {
					continue
				}
				if words++; words > maxLayoutWords {
					return PageLayout{}, fmt.Errorf("more than %d words on one page", maxLayoutWords)
				}
				cur := &l.Lines[len(l.Lines)-1]
				cur.Words = append(cur.Words, Word{X: x0, Y: y0, W: round2(x1 - x0), H: round2(y1 - y0), Text: text})
			}
		case xml.EndElement:
			if t.Name.Local == "line" && inLine {
				inLine = false
				if n := len(l.Lines); n > 0 && len(l.Lines[n-1].Words) == 0 {
					l.Lines = l.Lines[:n-1]
				}
			}
		}
	}
	if pages == 0 {
		return PageLayout{}, fmt.Errorf("%w: word positions: no page", ErrCorrupt)
	}
	return l, nil
}

// attrFloat reads a finite, non-negative number attribute; anything else is 0.
func attrFloat(e xml.StartElement, name string) float64 {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			f, err := strconv.ParseFloat(a.Value, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
				return 0
			}
			return round2(f)
		}
	}
	return 0
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// limitedBuffer keeps at most limit bytes and says whether more came.
type limitedBuffer struct {
	bytes.Buffer
	limit int
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil // keep reading so the process ends; the result is refused
	}
	return b.Buffer.Write(p)
}
