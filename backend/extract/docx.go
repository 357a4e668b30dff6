package extract

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

type docxExtractor struct{ limits zipLimits }

var headingStyle = regexp.MustCompile(`(?i)^heading\s*([1-9])$`)

// tableText turns nested table rows and cells into text rows "a | b | c".
// Rows of a nested table become part of the enclosing cell.
type tableText struct {
	rows  [][]string
	cells []*strings.Builder
}

func (t *tableText) active() bool { return len(t.rows) > 0 }

func (t *tableText) startRow()  { t.rows = append(t.rows, nil) }
func (t *tableText) startCell() { t.cells = append(t.cells, &strings.Builder{}) }

// addText adds a paragraph's text to the open cell.
func (t *tableText) addText(s string) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || len(t.cells) == 0 {
		return
	}
	c := t.cells[len(t.cells)-1]
	if c.Len() > 0 {
		c.WriteByte(' ')
	}
	c.WriteString(s)
}

func (t *tableText) endCell() {
	if len(t.cells) == 0 || len(t.rows) == 0 {
		return
	}
	c := t.cells[len(t.cells)-1]
	t.cells = t.cells[:len(t.cells)-1]
	t.rows[len(t.rows)-1] = append(t.rows[len(t.rows)-1], c.String())
}

// endRow closes a row; the outermost row is returned as a line of text.
func (t *tableText) endRow() (string, bool) {
	if len(t.rows) == 0 {
		return "", false
	}
	row := t.rows[len(t.rows)-1]
	t.rows = t.rows[:len(t.rows)-1]
	line := strings.Join(row, " | ")
	if len(t.rows) > 0 {
		t.addText(line)
		return "", false
	}
	return line, true
}

func (e docxExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	z, err := openZip(data, e.limits)
	if err != nil {
		return nil, err
	}
	levels := map[string]int{}
	if z.has("word/styles.xml") {
		if sb, err := z.read("word/styles.xml"); err == nil {
			levels = docxHeadingStyles(sb)
		}
	}
	body, err := z.read("word/document.xml")
	if err != nil {
		return nil, err
	}
	var b builder
	b.setPage(1)
	var para strings.Builder
	var tbl tableText
	inText, pLevel, page := false, 0, 1
	endPara := func() {
		txt := para.String()
		para.Reset()
		if tbl.active() {
			tbl.addText(txt)
			return
		}
		if pLevel > 0 {
			b.setHeading(pLevel, txt)
		}
		b.paragraph(strings.TrimSpace(txt))
	}
	pageBreak := func() {
		if strings.TrimSpace(para.String()) != "" && !tbl.active() {
			b.paragraph(para.String())
			para.Reset()
		}
		page++
		b.setPage(page)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: word/document.xml: %v", ErrCorrupt, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				para.Reset()
				pLevel = 0
			case "pStyle":
				pLevel = levels[attr(t, "val")]
			case "outlineLvl":
				if n, err := strconv.Atoi(attr(t, "val")); err == nil && n < 9 && pLevel == 0 {
					pLevel = n + 1
				}
			case "t":
				inText = true
			case "tab":
				para.WriteByte('\t')
			case "br", "cr":
				if attr(t, "type") == "page" {
					pageBreak()
				} else {
					para.WriteByte('\n')
				}
			case "lastRenderedPageBreak":
				pageBreak()
			case "noBreakHyphen":
				para.WriteByte('-')
			case "tr":
				tbl.startRow()
			case "tc":
				tbl.startCell()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				endPara()
			case "tc":
				tbl.endCell()
			case "tr":
				if line, ok := tbl.endRow(); ok {
					b.paragraph(line)
				}
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		}
	}
	return officeDocument(&b, z, "docProps/core.xml")
}

// officeDocument finishes a word-processing document: Dublin Core
// properties from metaFile become metadata (and the title).
func officeDocument(b *builder, z *zipReader, metaFile string) (*Document, error) {
	doc := b.document()
	if z.has(metaFile) {
		if mb, err := z.read(metaFile); err == nil {
			doc.Metadata = coreProps(mb)
			if t, ok := doc.Metadata["title"].(string); ok {
				doc.Title = t
			}
		}
	}
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: the document has no text", ErrEmpty)
	}
	return doc, nil
}

func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// docxHeadingStyles maps style ids to heading levels by their names, which
// stay English ("heading 1") even where the ids are localized.
func docxHeadingStyles(data []byte) map[string]int {
	out := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(data))
	id := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "style":
				id = attr(se, "styleId")
			case "name":
				n := attr(se, "val")
				if m := headingStyle.FindStringSubmatch(n); m != nil {
					out[id] = int(m[1][0] - '0')
				} else if strings.EqualFold(n, "title") {
					out[id] = 1
				}
			}
		}
	}
}

// coreProps reads Dublin Core properties (title, creator, subject, dates).
func coreProps(data []byte) map[string]any {
	out := map[string]any{}
	dec := xml.NewDecoder(bytes.NewReader(data))
	cur := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
		case xml.CharData:
			v := strings.TrimSpace(string(t))
			switch cur {
			case "title", "creator", "subject", "description", "created", "modified", "language", "keywords":
				if v != "" {
					out[cur] = v
				}
			case "creation-date": // OpenDocument's meta:creation-date
				if v != "" {
					out["created"] = v
				}
			}
		case xml.EndElement:
			cur = ""
		}
	}
	return out
}
