package extract

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

type htmlExtractor struct{}

func (htmlExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	s, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	var b builder
	title, err := htmlInto(&b, s, 0)
	if err != nil {
		return nil, err
	}
	doc := b.document()
	doc.Title = title
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: no text", ErrEmpty)
	}
	return doc, nil
}

// htmlInto appends the visible text of an HTML page to b. Headings start
// sections at levels below base (EPUB nests chapters under the book).
// It returns the page's <title>.
func htmlInto(b *builder, src string, base int) (string, error) {
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	w := htmlWalker{b: b, base: base}
	w.walk(root)
	w.endBlock()
	return strings.Join(strings.Fields(w.title), " "), nil
}

type htmlWalker struct {
	b     *builder
	base  int
	cur   bytes.Buffer
	title string
	row   []string
}

var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
	atom.Iframe: true, atom.Object: true, atom.Canvas: true, atom.Head: true,
}

var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true, atom.Header: true,
	atom.Footer: true, atom.Aside: true, atom.Nav: true, atom.Ul: true, atom.Ol: true, atom.Li: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Blockquote: true, atom.Pre: true, atom.Figure: true,
	atom.Figcaption: true, atom.Hr: true, atom.Table: true, atom.Form: true, atom.Fieldset: true,
	atom.Address: true, atom.Details: true, atom.Summary: true, atom.Body: true, atom.Caption: true,
}

func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// boilerTokens are class and id words that documentation generators give
// their navigation (DocBook navheader/navfooter, Sphinx sphinxsidebar and
// related, MkDocs md-nav, Javadoc topNav, breadcrumbs, permalink signs).
var boilerTokens = map[string]bool{
	"nav": true, "navbar": true, "navheader": true, "navfooter": true, "navigation": true, "topnav": true,
	"bottomnav": true, "subnav": true, "breadcrumb": true, "breadcrumbs": true, "sidebar": true,
	"sphinxsidebar": true, "sphinxsidebarwrapper": true, "related": true, "pagination": true,
	"headerlink": true, "skiplink": true, "skip": true, "menu": true, "footer": true, "masthead": true,
}

// boilerplate says whether an element is navigation rather than content:
// <nav>, an ARIA navigation, banner or footer role, or a class or id made
// of navigation words. Readability (go-readability) dropped the manual's
// tables and trafilatura (go-trafilatura) reordered inline words in its
// synopses, so these structural rules are written here.
func boilerplate(n *html.Node) bool {
	if n.DataAtom == atom.Nav {
		return true
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "role":
			switch strings.ToLower(a.Val) {
			case "navigation", "banner", "contentinfo", "search", "menu", "menubar":
				return true
			}
		case "class", "id":
			for _, tok := range strings.FieldsFunc(strings.ToLower(a.Val), func(r rune) bool { return r == ' ' || r == '-' || r == '_' }) {
				if boilerTokens[tok] {
					return true
				}
			}
		}
	}
	return false
}

func (w *htmlWalker) endBlock() {
	txt := strings.Join(strings.Fields(w.cur.String()), " ")
	w.cur.Reset()
	w.b.paragraph(txt)
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.cur.WriteString(n.Data)
		return
	case html.ElementNode:
		if n.DataAtom == atom.Title && w.title == "" {
			w.title = textOf(n)
			return
		}
		if n.DataAtom == atom.Head {
			// Only the title matters in <head>.
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c)
			}
			w.cur.Reset()
			return
		}
		if skipped[n.DataAtom] || boilerplate(n) {
			return
		}
		if lvl := headingLevel(n.DataAtom); lvl > 0 {
			w.endBlock()
			t := strings.Join(strings.Fields(textOf(n)), " ")
			w.b.setHeading(w.base+lvl, t)
			w.b.paragraph(t)
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.cur.WriteByte('\n')
			return
		case atom.Tr:
			w.endBlock()
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
					cells = append(cells, strings.Join(strings.Fields(textOf(c)), " "))
				}
			}
			w.b.paragraph(strings.Join(cells, " | "))
			return
		case atom.Img:
			for _, a := range n.Attr {
				if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
					w.cur.WriteString(" " + a.Val + " ")
				}
			}
			return
		}
		if blocks[n.DataAtom] {
			w.endBlock()
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c)
			}
			w.endBlock()
			return
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// textOf is the text of a subtree with element boundaries as spaces.
func textOf(n *html.Node) string {
	var sb strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
			return
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style || boilerplate(n)) {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
		if n.Type == html.ElementNode && n.DataAtom != atom.Span && n.DataAtom != atom.A && n.DataAtom != atom.B &&
			n.DataAtom != atom.I && n.DataAtom != atom.Em && n.DataAtom != atom.Strong {
			sb.WriteByte(' ')
		}
	}
	rec(n)
	return sb.String()
}
