package extract

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/hoardvault/hoard/backend/internal/script"
)

// pdfLine is one text line of a page as MuPDF positions it.
type pdfLine struct {
	top, left, height, size float64
	text                    string
	bold                    bool // every character is bold
}

// right estimates where the line ends. MuPDF's HTML gives no widths, so they
// come from average glyph widths of the font size; column detection below
// tolerates the error.
func (l pdfLine) right() float64 {
	w := 0.0
	for _, r := range l.text {
		switch {
		case r == ' ':
			w += 0.28
		case script.IsCJK(r):
			w += 1.0
		case unicode.IsUpper(r):
			w += 0.65
		default:
			w += 0.5
		}
	}
	return l.left + w*l.size
}

var (
	styleNum = regexp.MustCompile(`(top|left|line-height|font-size):\s*(-?[0-9.]+)pt`)
)

func styleValues(s string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range styleNum.FindAllStringSubmatch(s, -1) {
		if v, err := strconv.ParseFloat(m[2], 64); err == nil {
			if _, seen := out[m[1]]; !seen {
				out[m[1]] = v
			}
		}
	}
	return out
}

// parsePageHTML reads the positioned lines of MuPDF's HTML rendering of a
// page (one <p style="top:…;left:…"> per line).
func parsePageHTML(src string) []pdfLine {
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return nil
	}
	var lines []pdfLine
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.P {
			var style string
			for _, a := range n.Attr {
				if a.Key == "style" {
					style = a.Val
				}
			}
			v := styleValues(style)
			l := pdfLine{top: v["top"], left: v["left"], height: v["line-height"]}
			var sb strings.Builder
			plain := 0
			var text func(*html.Node, bool)
			text = func(c *html.Node, inBold bool) {
				if c.Type == html.TextNode {
					sb.WriteString(c.Data)
					if !inBold {
						plain += len(strings.TrimSpace(c.Data))
					}
				}
				if c.Type == html.ElementNode && (c.DataAtom == atom.B || c.DataAtom == atom.Strong) {
					inBold = true
				}
				if c.Type == html.ElementNode && c.DataAtom == atom.Span && l.size == 0 {
					for _, a := range c.Attr {
						if a.Key == "style" {
							l.size = styleValues(a.Val)["font-size"]
						}
					}
				}
				for k := c.FirstChild; k != nil; k = k.NextSibling {
					text(k, inBold)
				}
			}
			text(n, false)
			l.text = strings.TrimRight(sb.String(), " ")
			l.bold = plain == 0
			if l.size <= 0 {
				l.size = math.Max(l.height, 10)
			}
			if l.height <= 0 {
				l.height = l.size
			}
			if strings.TrimSpace(l.text) != "" {
				lines = append(lines, l)
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return lines
}

// readingOrder orders lines by recursive XY-cut: where a vertical gutter
// splits the lines into columns that sit side by side, the left column is
// read before the right one; lines that span the gutter (titles, footers)
// cut the page into bands that are ordered top to bottom.
func readingOrder(lines []pdfLine) []pdfLine {
	if len(lines) < 6 {
		return byPosition(lines)
	}
	x, ok := gutter(lines)
	if !ok {
		return byPosition(lines)
	}
	var left, right, spanning []pdfLine
	for _, l := range lines {
		switch {
		case l.left >= x-1:
			right = append(right, l)
		case crosses(l, x):
			spanning = append(spanning, l)
		default:
			left = append(left, l)
		}
	}
	if len(spanning) == 0 {
		return append(readingOrder(left), readingOrder(right)...)
	}
	// Spanning lines separate bands; each band is ordered on its own.
	sort.SliceStable(spanning, func(i, j int) bool { return spanning[i].top < spanning[j].top })
	var out []pdfLine
	rest := append(append([]pdfLine{}, left...), right...)
	prev := math.Inf(-1)
	for i := 0; i <= len(spanning); i++ {
		next := math.Inf(1)
		if i < len(spanning) {
			next = spanning[i].top
		}
		var band []pdfLine
		for _, l := range rest {
			if l.top >= prev && l.top < next {
				band = append(band, l)
			}
		}
		out = append(out, readingOrder(band)...)
		if i < len(spanning) {
			out = append(out, spanning[i])
			prev = spanning[i].top
		}
	}
	return out
}

// gutter finds the x position of a column break: a left edge shared by
// several lines that sit beside (not below) lines starting further left,
// which few of those lines reach across.
func gutter(lines []pdfLine) (float64, bool) {
	minLeft := math.Inf(1)
	cands := map[float64]bool{}
	for _, l := range lines {
		minLeft = math.Min(minLeft, l.left)
		cands[math.Round(l.left)] = true
	}
	xs := make([]float64, 0, len(cands))
	for x := range cands {
		if x > minLeft+20 {
			xs = append(xs, x)
		}
	}
	sort.Float64s(xs)
	bestX, bestCross := 0.0, len(lines)+1
	for _, x := range xs {
		var nLeft, nRight, cross int
		lTop, lBot := math.Inf(1), math.Inf(-1)
		rTop, rBot := math.Inf(1), math.Inf(-1)
		for _, l := range lines {
			if l.left >= x-1 {
				nRight++
				rTop, rBot = math.Min(rTop, l.top), math.Max(rBot, l.top+l.height)
				continue
			}
			if crosses(l, x) {
				cross++
				continue
			}
			nLeft++
			lTop, lBot = math.Min(lTop, l.top), math.Max(lBot, l.top+l.height)
		}
		if nLeft < 3 || nRight < 3 || float64(cross) > 0.2*float64(len(lines)) {
			continue
		}
		// Columns share vertical space; an indented block below is no column.
		overlap := math.Min(lBot, rBot) - math.Max(lTop, rTop)
		if overlap < 0.3*math.Min(lBot-lTop, rBot-rTop) {
			continue
		}
		if cross < bestCross {
			bestX, bestCross = x, cross
		}
	}
	return bestX, bestCross <= len(lines)
}

// crosses reports whether a line starting left of x runs clearly past it.
// Widths are estimates, so a line must reach well into the next column.
func crosses(l pdfLine, x float64) bool {
	r := l.right()
	return r > x+math.Max(20, 0.1*(r-l.left))
}

func byPosition(lines []pdfLine) []pdfLine {
	out := append([]pdfLine{}, lines...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if math.Abs(a.top-b.top) > 0.5*math.Min(a.height, b.height) {
			return a.top < b.top
		}
		return a.left < b.left
	})
	return out
}

// pdfPara is a paragraph of a page; heading marks a short line set apart by
// a larger font or bold type.
type pdfPara struct {
	text    string
	heading int // 0, or the heading level (1: larger font, 2: bold)
}

// paragraphs groups ordered lines: lines on the same baseline share a line;
// a large vertical gap, a jump back up (a new column), a change of font size
// or weight, or a list bullet starts a paragraph.
func paragraphs(lines []pdfLine) []pdfPara {
	body := bodySize(lines)
	var out []pdfPara
	var cur []pdfLine
	var sb strings.Builder
	flush := func() {
		if len(cur) == 0 {
			return
		}
		p := pdfPara{text: ReflowLines(sb.String())}
		p.heading = pdfHeadingLevel(cur, p.text, body)
		out = append(out, p)
		cur = cur[:0]
		sb.Reset()
	}
	for i, l := range lines {
		if i > 0 {
			p := lines[i-1]
			dy := l.top - p.top
			switch {
			case math.Abs(dy) < 0.5*math.Min(l.height, p.height) && l.left > p.left:
				sb.WriteByte(' ')
			case dy < 0 || dy > 1.6*math.Max(p.height, l.height) || math.Abs(l.size-p.size) > 1.5 || l.bold != p.bold || startsWithBullet(l.text):
				flush()
			default:
				sb.WriteByte('\n')
			}
		}
		cur = append(cur, l)
		sb.WriteString(l.text)
	}
	flush()
	return out
}

// bodySize is the font size carrying most characters.
func bodySize(lines []pdfLine) float64 {
	weight := map[float64]int{}
	best, bestN := 0.0, -1
	for _, l := range lines {
		k := math.Round(l.size*2) / 2
		weight[k] += len(l.text)
		if weight[k] > bestN {
			best, bestN = k, weight[k]
		}
	}
	return best
}

func pdfHeadingLevel(lines []pdfLine, text string, body float64) int {
	words := len(strings.Fields(text))
	if words == 0 || words > 15 || len(lines) > 3 || strings.HasSuffix(text, ".") || !strings.ContainsFunc(text, unicode.IsLetter) {
		return 0
	}
	size, bold := 0.0, true
	for _, l := range lines {
		size = math.Max(size, l.size)
		bold = bold && l.bold
	}
	switch {
	case body > 0 && size >= 1.15*body:
		return 1
	case bold:
		return 2
	}
	return 0
}

// startsWithBullet reports a list item, which starts a paragraph of its own.
func startsWithBullet(s string) bool {
	for _, r := range s {
		return strings.ContainsRune("●•▪◦‣■□➢►✓", r)
	}
	return false
}
