package extract

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

type odtExtractor struct{ limits zipLimits }

func (e odtExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	z, err := openZip(data, e.limits)
	if err != nil {
		return nil, err
	}
	body, err := z.read("content.xml")
	if err != nil {
		return nil, err
	}
	var b builder
	b.setPage(1)
	var para strings.Builder
	var tbl tableText
	depth, hLevel, page := 0, 0, 1
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
			return nil, fmt.Errorf("%w: content.xml: %v", ErrCorrupt, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p", "h":
				if depth == 0 {
					para.Reset()
				}
				depth++
				if t.Name.Local == "h" {
					hLevel, _ = strconv.Atoi(attr(t, "outline-level"))
					if hLevel == 0 {
						hLevel = 1
					}
				}
			case "s":
				n, _ := strconv.Atoi(attr(t, "c"))
				para.WriteString(strings.Repeat(" ", max(n, 1)))
			case "tab":
				para.WriteByte('\t')
			case "line-break":
				para.WriteByte('\n')
			case "soft-page-break":
				if depth > 0 && !tbl.active() && strings.TrimSpace(para.String()) != "" {
					b.paragraph(para.String())
					para.Reset()
				}
				page++
				b.setPage(page)
			case "table-row":
				tbl.startRow()
			case "table-cell":
				tbl.startCell()
			case "note", "annotation":
				// Footnote bodies would interrupt the sentence they hang on.
				if err := dec.Skip(); err != nil {
					return nil, fmt.Errorf("%w: content.xml: %v", ErrCorrupt, err)
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "h":
				depth--
				if depth > 0 {
					continue
				}
				txt := para.String()
				para.Reset()
				if tbl.active() {
					tbl.addText(txt)
				} else {
					if t.Name.Local == "h" {
						b.setHeading(hLevel, txt)
					}
					b.paragraph(txt)
				}
				hLevel = 0
			case "table-cell":
				tbl.endCell()
			case "table-row":
				if line, ok := tbl.endRow(); ok {
					b.paragraph(line)
				}
			}
		case xml.CharData:
			if depth > 0 {
				para.Write(t)
			}
		}
	}
	return officeDocument(&b, z, "meta.xml")
}
