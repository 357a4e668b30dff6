// Package search finds the chunks that answer a query. It is a pipeline of
// small stages: parse the user's text, generate candidates (BM25 over FTS5
// today; dense vectors later), and turn candidates into citable hits.
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/internal/script"
	"github.com/hoardvault/hoard/backend/text"
)

// Query is user text made safe for FTS5.
type Query struct {
	Raw      string
	Terms    []string // plain words, matched with OR
	Phrases  []string // quoted phrases, each must appear as written
	Prefixes []string // words typed with a trailing *
	Excluded []string // words or phrases after a minus or NOT
}

// Limits on what a query may expand to, so a pasted page stays fast.
const (
	maxQueryBytes = 16 << 10
	maxTerms      = 64
)

// Parse accepts any text: quotes, operators, punctuation, emoji, any length.
// It never fails; text with nothing searchable gives an empty query.
func Parse(raw string) Query {
	if len(raw) > maxQueryBytes {
		raw = raw[:maxQueryBytes]
		for !utf8.ValidString(raw) {
			raw = raw[:len(raw)-1]
		}
	}
	raw = strings.ToValidUTF8(raw, " ")
	q := Query{Raw: raw}
	seen := map[string]bool{}
	add := func(list *[]string, w string) {
		key := strings.ToLower(w)
		if w == "" || seen[key] || q.count() >= maxTerms {
			return
		}
		seen[key] = true
		*list = append(*list, w)
	}
	s := normalizeQuotes(raw)
	negateNext := false
	for len(s) > 0 {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		neg := negateNext
		negateNext = false
		if s[0] == '-' && len(s) > 1 && !unicode.IsSpace(rune(s[1])) {
			neg = true
			s = s[1:]
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			var phrase string
			if end < 0 {
				phrase, s = s[1:], ""
			} else {
				phrase, s = s[1:end+1], s[end+2:]
			}
			p := cleanPhrase(phrase)
			switch {
			case p == "":
			case neg:
				add(&q.Excluded, p)
			case !strings.Contains(p, " "):
				add(&q.Terms, p)
			default:
				add(&q.Phrases, p)
			}
			continue
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		tok := s[:end]
		s = s[end:]
		switch tok {
		case "AND", "OR", "&&", "||":
			continue
		case "NOT":
			negateNext = true
			continue
		}
		prefix := strings.HasSuffix(tok, "*")
		w := cleanPhrase(tok)
		switch {
		case w == "":
		case neg:
			add(&q.Excluded, w)
		case prefix && !strings.Contains(w, " ") && utf8.RuneCountInString(w) >= 2:
			add(&q.Prefixes, w)
		default:
			add(&q.Terms, w)
		}
	}
	q.dropStopWords()
	return q
}

func (q *Query) count() int {
	return len(q.Terms) + len(q.Phrases) + len(q.Prefixes) + len(q.Excluded)
}

// dropStopWords removes function words when something else is left to match.
func (q *Query) dropStopWords() {
	var keep []string
	for _, t := range q.Terms {
		if !text.IsStopWord(strings.ToLower(t)) {
			keep = append(keep, t)
		}
	}
	if len(keep) > 0 || len(q.Phrases) > 0 || len(q.Prefixes) > 0 {
		q.Terms = keep
	}
}

// Empty reports whether the query can match nothing.
func (q Query) Empty() bool { return len(q.Terms)+len(q.Phrases)+len(q.Prefixes) == 0 }

// Words are the positive words and phrases, for highlighting and feedback.
func (q Query) Words() []string {
	out := append([]string{}, q.Terms...)
	out = append(out, q.Phrases...)
	return append(out, q.Prefixes...)
}

// FTS renders the query in FTS5 syntax: every word is a quoted string, so no
// user text is ever read as FTS5 syntax.
func (q Query) FTS() string {
	if q.Empty() {
		return ""
	}
	var parts []string
	for _, t := range q.Terms {
		// unicode61 keeps a run of CJK characters as one token, so a CJK word
		// is matched as the start of such a run.
		if strings.IndexFunc(t, script.IsCJK) >= 0 && !strings.Contains(t, " ") {
			parts = append(parts, quote(t)+"*")
			continue
		}
		parts = append(parts, quote(t))
	}
	for _, p := range q.Phrases {
		parts = append(parts, quote(p))
	}
	for _, p := range q.Prefixes {
		parts = append(parts, quote(p)+"*")
	}
	expr := strings.Join(parts, " OR ")
	if len(parts) > 1 {
		expr = "(" + expr + ")"
	}
	for _, x := range q.Excluded {
		expr += " NOT " + quote(x)
	}
	return expr
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// unquote undoes quote.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return strings.ReplaceAll(s, `""`, `"`)
}

var quoteFolder = strings.NewReplacer("“", `"`, "”", `"`, "„", `"`, "«", `"`, "»", `"`, "「", `"`, "」", `"`)

func normalizeQuotes(s string) string { return quoteFolder.Replace(s) }

// cleanPhrase keeps the words of s (letters, digits, and the punctuation
// inside words) and drops everything else, so FTS5 sees only tokens.
func cleanPhrase(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return !text.IsWordRune(r) })
	return strings.Join(fields, " ")
}
