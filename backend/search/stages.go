package search

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hoardvault/hoard/backend/internal/script"
)

// Leading phrases people type to a chat box rather than a search box.
var chatCruft = regexp.MustCompile(`(?i)^\s*(?:(?:hi|hello|hey)\b[,!.]*|please\b|(?:can|could|would|will) you\b|(?:tell|show|find|give|get) me\b|i(?:'d| would)? (?:like|want|need) to (?:know|find|see)\b|search(?: for)?\b|look(?:ing)? (?:up|for)\b|find\b|do you know\b|what do (?:my notes|i know|you know|the documents?) (?:say )?about\b)\s*[,:]?\s*`)

var trailingCruft = regexp.MustCompile(`(?i)(?:[\s,.!?]+|\b(?:please|thanks?(?: you)?|thx)\b)+$`)

// Normalize strips chat cruft ("hey, can you tell me …", "thanks!") and
// e-mail style quoting from a query, keeping the question itself. If nothing
// would be left, the query is returned as it was.
func Normalize(q string) string {
	lines := strings.Split(q, "\n")
	for i, ln := range lines {
		lines[i] = strings.TrimLeft(ln, "> \t")
	}
	s := strings.Join(lines, " ")
	for {
		next := chatCruft.ReplaceAllString(s, "")
		if next == s {
			break
		}
		s = next
	}
	s = trailingCruft.ReplaceAllString(s, "")
	if strings.TrimSpace(s) == "" {
		return q
	}
	return s
}

// proximityFTS rewards consecutive query words that appear near each other.
func proximityFTS(q Query) string {
	var terms []string
	for _, t := range q.Terms {
		if !strings.Contains(t, " ") && strings.IndexFunc(t, script.IsCJK) < 0 {
			terms = append(terms, t)
		}
	}
	if len(terms) < 2 {
		return ""
	}
	var parts []string
	for i := 0; i+1 < len(terms) && i < 8; i++ {
		parts = append(parts, fmt.Sprintf("NEAR(%s %s, 8)", quote(terms[i]), quote(terms[i+1])))
	}
	return strings.Join(parts, " OR ")
}

// prf builds an expanded query from the best first-pass chunks (RM3-style):
// words weighted by their share of each feedback chunk and by the chunk's
// score, minus the query's own words. A word must occur in two feedback
// chunks, which keeps one chunk's oddities out.
func (s *Searcher) prf(ctx context.Context, q Query, base []Candidate) (string, error) {
	fb := append([]Candidate(nil), base[:min(len(base), s.opt.PRFDocs)]...)
	if len(fb) < 2 {
		return "", nil
	}
	if err := s.loadInfo(ctx, fb); err != nil {
		return "", err
	}
	qstems := map[string]bool{}
	for _, w := range q.Words() {
		for _, t := range words(w) {
			qstems[stem(t)] = true
		}
	}
	total := 0.0
	for _, c := range fb {
		total += c.Score
	}
	weight := map[string]float64{}
	docs := map[string]int{}
	for _, c := range fb {
		if c.info == nil {
			continue
		}
		ws := words(c.info.title + " " + c.info.text)
		if len(ws) == 0 {
			continue
		}
		tf := map[string]int{}
		for _, w := range ws {
			if len(w) < 3 || stopWords[w] || extraStop[w] || IsNumber(w) || qstems[stem(w)] {
				continue
			}
			tf[w]++
		}
		for w, n := range tf {
			weight[w] += (c.Score / total) * float64(n) / float64(len(ws))
			docs[w]++
		}
	}
	type tw struct {
		w string
		v float64
	}
	var cands []tw
	for w, v := range weight {
		if docs[w] >= 2 {
			cands = append(cands, tw{w, v})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		return cands[i].v > cands[j].v || cands[i].v == cands[j].v && cands[i].w < cands[j].w
	})
	var parts []string
	for _, t := range q.Terms {
		parts = append(parts, quote(t))
	}
	for _, p := range q.Phrases {
		parts = append(parts, quote(p))
	}
	added := 0
	for _, c := range cands {
		if added == s.opt.PRFTerms {
			break
		}
		parts = append(parts, quote(c.w))
		added++
	}
	if added == 0 {
		return "", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// extraStop are common words that carry no topic, beyond the query stop list.
var extraStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`also than more most other some only into over after before between both each
		same very just being been having here while during under within without however although these those
		were which where whose there their them they then thus may might must shall should would could
		used using use one two three first second new well known including include includes including`) {
		m[w] = true
	}
	return m
}()

// IsNumber reports whether w is all ASCII digits.
func IsNumber(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
