package extract

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
)

type epubExtractor struct{ limits zipLimits }

type opfPackage struct {
	Metadata struct {
		Title    []string `xml:"title"`
		Creator  []string `xml:"creator"`
		Language []string `xml:"language"`
	} `xml:"metadata"`
	Manifest []struct {
		ID        string `xml:"id,attr"`
		Href      string `xml:"href,attr"`
		MediaType string `xml:"media-type,attr"`
	} `xml:"manifest>item"`
	Spine []struct {
		IDRef string `xml:"idref,attr"`
	} `xml:"spine>itemref"`
}

// Extract reads the chapters in spine order; their headings give the
// sections (EPUB has no fixed pages).
func (e epubExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	z, err := openZip(data, e.limits)
	if err != nil {
		return nil, err
	}
	cb, err := z.read("META-INF/container.xml")
	if err != nil {
		return nil, err
	}
	var container struct {
		Rootfiles []struct {
			FullPath string `xml:"full-path,attr"`
		} `xml:"rootfiles>rootfile"`
	}
	if err := xml.Unmarshal(cb, &container); err != nil || len(container.Rootfiles) == 0 {
		return nil, fmt.Errorf("%w: bad META-INF/container.xml", ErrCorrupt)
	}
	opfPath := container.Rootfiles[0].FullPath
	ob, err := z.read(opfPath)
	if err != nil {
		return nil, err
	}
	var pkg opfPackage
	if err := xml.Unmarshal(ob, &pkg); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, opfPath, err)
	}
	hrefs := map[string]string{}
	for _, it := range pkg.Manifest {
		hrefs[it.ID] = it.Href
	}
	var b builder
	for _, ref := range pkg.Spine {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		href, ok := hrefs[ref.IDRef]
		if !ok {
			continue
		}
		hb, err := z.read(resolve(opfPath, href))
		if err != nil {
			return nil, err
		}
		s, err := decodeText(hb)
		if err != nil {
			continue // a binary spine item (rare) carries no text
		}
		if _, err := htmlInto(&b, s, 0); err != nil {
			return nil, err
		}
	}
	doc := b.document()
	doc.Metadata = map[string]any{}
	if len(pkg.Metadata.Title) > 0 {
		doc.Title = strings.TrimSpace(pkg.Metadata.Title[0])
		doc.Metadata["title"] = doc.Title
	}
	if len(pkg.Metadata.Creator) > 0 {
		doc.Metadata["creator"] = strings.Join(pkg.Metadata.Creator, ", ")
	}
	if len(pkg.Metadata.Language) > 0 {
		doc.Metadata["language"] = pkg.Metadata.Language[0]
	}
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: the book has no text", ErrEmpty)
	}
	return doc, nil
}
