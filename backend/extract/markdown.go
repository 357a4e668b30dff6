package extract

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

type markdownExtractor struct{}

var (
	atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextH1   = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
	setextH2   = regexp.MustCompile(`^ {0,3}-+[ \t]*$`)
	fence      = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	wikilink   = regexp.MustCompile(`\[\[([^\[\]|#]+)(?:#[^\[\]|]*)?(?:\|[^\[\]]*)?\]\]`)
)

// Extract makes each heading start a section, reads YAML front matter into
// metadata and records [[wikilinks]] (the text keeps them as written).
func (markdownExtractor) Extract(ctx context.Context, name string, data []byte) (*Document, error) {
	s, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	meta, body := frontMatter(s)
	var b builder
	var para []string
	inFence := ""
	flush := func() {
		if len(para) > 0 {
			b.paragraph(strings.Join(para, "\n"))
			para = para[:0]
		}
	}
	lines := strings.Split(body, "\n")
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if m := fence.FindStringSubmatch(ln); m != nil {
			switch {
			case inFence == "":
				inFence = m[1][:1]
			case strings.HasPrefix(strings.TrimSpace(ln), strings.Repeat(inFence, 3)):
				inFence = ""
			}
			para = append(para, ln)
			continue
		}
		if inFence != "" {
			para = append(para, ln)
			continue
		}
		if m := atxHeading.FindStringSubmatch(ln); m != nil {
			flush()
			b.setHeading(len(m[1]), stripInline(m[2]))
			b.paragraph(stripInline(m[2]))
			continue
		}
		// Setext: a text line underlined by === or --- (not a list or rule after a blank).
		if len(para) == 1 && strings.TrimSpace(ln) != "" && (setextH1.MatchString(ln) || setextH2.MatchString(ln)) {
			title := para[0]
			para = para[:0]
			level := 1
			if setextH2.MatchString(ln) {
				level = 2
			}
			b.setHeading(level, stripInline(title))
			b.paragraph(stripInline(title))
			continue
		}
		if strings.TrimSpace(ln) == "" {
			flush()
			continue
		}
		para = append(para, ln)
	}
	flush()
	doc := b.document()
	if meta == nil {
		meta = map[string]any{}
	}
	if links := wikilinks(s); len(links) > 0 {
		meta["wikilinks"] = links
	}
	if len(meta) > 0 {
		doc.Metadata = meta
	}
	if t, ok := meta["title"].(string); ok && strings.TrimSpace(t) != "" {
		doc.Title = strings.TrimSpace(t)
	} else if len(doc.Sections) > 0 && len(doc.Sections[0].Heading) > 0 && doc.Sections[0].Heading[0] != "" {
		doc.Title = doc.Sections[0].Heading[0]
	}
	if strings.TrimSpace(doc.Text) == "" {
		return nil, fmt.Errorf("%w: no text", ErrEmpty)
	}
	return doc, nil
}

// frontMatter splits a leading YAML block off the body. Broken YAML is kept as
// text rather than failing the document.
func frontMatter(s string) (map[string]any, string) {
	if !strings.HasPrefix(s, "---\n") {
		return nil, s
	}
	rest := s[4:]
	end := strings.Index(rest, "\n---")
	if end < 0 {
		return nil, s
	}
	after := rest[end+4:]
	if nl := strings.IndexByte(after, '\n'); nl >= 0 {
		if strings.TrimSpace(after[:nl]) != "" {
			return nil, s
		}
		after = after[nl+1:]
	} else if strings.TrimSpace(after) != "" {
		return nil, s
	} else {
		after = ""
	}
	var meta map[string]any
	if err := yaml.Unmarshal([]byte(rest[:end]), &meta); err != nil {
		return nil, s
	}
	return jsonSafe(meta).(map[string]any), after
}

// jsonSafe converts YAML values (which may have non-string map keys and
// time values) into JSON-encodable ones.
func jsonSafe(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = jsonSafe(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = jsonSafe(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonSafe(x)
		}
		return out
	case nil, string, bool, int, int64, float64:
		return t
	case time.Time:
		// ISO 8601, which date filters (and people) read.
		return t.Format(time.RFC3339)
	default:
		return fmt.Sprint(t)
	}
}

func wikilinks(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range wikilink.FindAllStringSubmatch(s, -1) {
		t := strings.TrimSpace(m[1])
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

var inlineMarks = strings.NewReplacer("**", "", "__", "", "`", "")

func stripInline(s string) string { return strings.TrimSpace(inlineMarks.Replace(s)) }
