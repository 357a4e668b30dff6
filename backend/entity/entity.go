// Package entity finds the names a passage defines or mentions, for the
// entity index that multi-hop search follows: a document's title and its
// section headings define entities; capitalized multi-word names and
// [[wikilinks]] in the text mention them.
package entity

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/text"
)

// Kinds of reference.
const (
	Defines  = 1 // the passage is about it (title, heading)
	Mentions = 2 // the passage names it
)

// Ref is one entity a passage refers to, by normalized name.
type Ref struct {
	Name string
	Kind int
}

// maxNameWords bounds a name's length.
const maxNameWords = 6

// Norm folds a name for matching: lower case, words joined by single
// spaces; a trailing parenthetical ("Theodred II (Bishop of Elmham)") is a
// disambiguation, not part of the name.
func Norm(s string) string {
	if i := strings.Index(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	return strings.Join(text.Words(s), " ")
}

// generic names are too common to link anything: headings such as
// "Introduction" would tie every paper to every other.
var generic = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`abstract introduction background summary conclusion conclusions discussion results
		methods method references bibliography contents acknowledgements acknowledgments appendix notes overview
		chapter preface index glossary table figure untitled`) {
		m[w] = true
	}
	return m
}()

func usable(name string) bool {
	return len(name) >= 3 && !Generic(name)
}

// IsConnector reports whether a lower-case word may sit inside a name.
func IsConnector(w string) bool { return connectors[w] }

// Generic reports whether a normalized name is made only of generic words
// and connectors ("methods and results", "notes"): such a name is a part of
// a document's structure, not a thing it is about.
func Generic(name string) bool {
	for _, w := range strings.Fields(name) {
		if !generic[w] && !connectors[w] {
			return false
		}
	}
	return true
}

// connectors may sit inside a name ("Bank of America", "Ludwig van
// Beethoven") but neither begin nor end one.
var connectors = map[string]bool{"of": true, "the": true, "de": true, "du": true, "des": true, "la": true, "le": true,
	"von": true, "van": true, "der": true, "den": true, "di": true, "da": true, "del": true, "and": true, "for": true, "y": true}

// articles are dropped from the start of a name: "The Hague" is found as
// "hague" too, but a sentence-initial "The Beatles" must match the title
// "Beatles".
var articles = map[string]bool{"the": true, "a": true, "an": true}

var wikilink = regexp.MustCompile(`\[\[([^\]|#]+)(?:[#|][^\]]*)?\]\]`)

// Find lists what a passage defines and mentions, each name once (a
// definition wins over a mention).
func Find(title string, headings []string, text string) []Ref {
	seen := map[string]int{}
	var order []string
	add := func(name string, kind int) {
		if !usable(name) {
			return
		}
		if k, ok := seen[name]; ok {
			if kind < k {
				seen[name] = kind
			}
			return
		}
		seen[name] = kind
		order = append(order, name)
	}
	add(Norm(title), Defines)
	for _, h := range headings {
		add(Norm(h), Defines)
	}
	for _, m := range wikilink.FindAllStringSubmatch(text, -1) {
		add(Norm(m[1]), Mentions)
	}
	for _, n := range names(text) {
		add(n, Mentions)
	}
	out := make([]Ref, len(order))
	for i, n := range order {
		out[i] = Ref{Name: n, Kind: seen[n]}
	}
	return out
}

// token is a word of a text, with what matters for names.
type token struct {
	w        string
	upper    bool
	boundary bool // punctuation other than a space follows it
}

func tokens(text string) []token {
	var toks []token
	var ends []int
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		r, _ := utf8.DecodeRuneInString(w)
		// Whatever lies between this word and the next: any punctuation
		// there ("," "." "[[") ends a name.
		if n := len(toks); n > 0 {
			gap := text[ends[n-1]:start]
			toks[n-1].boundary = strings.Trim(gap, " ") != ""
		}
		toks = append(toks, token{w: strings.ToLower(w), upper: unicode.IsUpper(r)})
		ends = append(ends, end)
		start = -1
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '\'' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return toks
}

// names finds runs of two or more capitalized words, with connectors
// inside, that punctuation does not interrupt.
func names(text string) []string {
	toks := tokens(text)
	var out []string
	for i := 0; i < len(toks); {
		if !toks[i].upper {
			i++
			continue
		}
		j := i
		for j < len(toks) && j-i < maxNameWords+2 && (toks[j].upper || connectors[toks[j].w]) {
			j++
			if toks[j-1].boundary {
				break
			}
		}
		run := toks[i:j]
		for len(run) > 0 && !run[len(run)-1].upper {
			run = run[:len(run)-1] // a name ends on a capitalized word
		}
		for len(run) > 0 && articles[run[0].w] {
			run = run[1:]
		}
		caps := 0
		parts := make([]string, len(run))
		for k, t := range run {
			parts[k] = t.w
			if t.upper {
				caps++
			}
		}
		if caps >= 2 && len(parts) <= maxNameWords {
			out = append(out, strings.Join(parts, " "))
		}
		i = max(j, i+1)
	}
	return out
}
