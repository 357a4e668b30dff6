// Package answer turns a question into a cited answer: retrieve passages,
// then let a language model answer from them with numbered citations, or,
// with no model reachable, pick the sentences that best answer it
// (extractive), so offline chat always works.
package answer

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/search"
)

// Searcher finds passages (the vault).
type Searcher interface {
	Search(ctx context.Context, req search.Request) ([]search.Hit, error)
}

// Citation points at a source passage.
type Citation struct {
	N       int    `json:"n"` // the [n] marker in the answer
	DocID   int64  `json:"doc_id"`
	ChunkID int64  `json:"chunk_id"`
	Title   string `json:"title"`
	Path    string `json:"path"`
	Page    int    `json:"page"`
	StartMS int64  `json:"start_ms"` // audio position (0 for documents)
	Text    string `json:"text"`
}

// Step is one entry of an answer's trace: how it was made.
type Step struct {
	Step   string `json:"step"`
	Detail string `json:"detail"`
}

// Answer is what Ask returns.
type Answer struct {
	Answer     string     `json:"answer"`
	Citations  []Citation `json:"citations"`
	Trace      []Step     `json:"trace"`
	Extractive bool       `json:"extractive"`
}

// Options tune Ask.
type Options struct {
	LLM       llm.Client // nil: extractive
	Model     string
	Sources   int                // passages retrieved (default 6)
	Sentences int                // sentences in an extractive answer (default 3)
	OnDelta   func(string) error // streamed answer text
}

// NothingFound is the answer when the vault has nothing on the question.
const NothingFound = "I found nothing in your vault about that."

// Ask answers a question from the vault.
func Ask(ctx context.Context, s Searcher, question string, opt Options) (Answer, error) {
	if opt.Sources <= 0 {
		opt.Sources = 6
	}
	if opt.Sentences <= 0 {
		opt.Sentences = 3
	}
	var a Answer
	hits, err := s.Search(ctx, search.Request{Query: question, Limit: opt.Sources})
	if err != nil {
		return a, err
	}
	a.Trace = append(a.Trace, Step{"search", fmt.Sprintf("%d passage(s) for %q", len(hits), question)})
	for _, h := range hits {
		if h.Via != "" {
			a.Trace = append(a.Trace, Step{"hop", h.Title + ": " + h.Via})
		}
	}
	if len(hits) == 0 {
		a.Answer, a.Extractive = NothingFound, opt.LLM == nil
		return a, emit(opt, a.Answer)
	}
	if opt.LLM != nil {
		got, err := generate(ctx, opt, question, hits)
		if err == nil {
			got.Trace = append(a.Trace, got.Trace...)
			return got, nil
		}
		if ctx.Err() != nil {
			return a, ctx.Err()
		}
		a.Trace = append(a.Trace, Step{"llm", "unavailable, answering from the passages: " + err.Error()})
	}
	ext := extract(question, hits, opt.Sentences)
	ext.Trace = append(a.Trace, ext.Trace...)
	return ext, emit(opt, ext.Answer)
}

func emit(opt Options, text string) error {
	if opt.OnDelta != nil && text != "" {
		return opt.OnDelta(text)
	}
	return nil
}

func cite(n int, h search.Hit, text string) Citation {
	return Citation{N: n, DocID: h.DocID, ChunkID: h.ChunkID, Title: h.Title, Path: h.Path, Page: h.Page, Text: text}
}

const systemPrompt = `You answer questions from the user's own documents. Use only the numbered sources below.
After each statement, cite its source like [1] or [2][3]. If the sources do not answer the question, say that you do not know.
Be brief.`

var marker = regexp.MustCompile(`\[(\d+)\]`)

// generate asks the language model, streaming its answer.
func generate(ctx context.Context, opt Options, question string, hits []search.Hit) (Answer, error) {
	var sb strings.Builder
	for i, h := range hits {
		where := h.Title
		if h.Page > 0 {
			where += fmt.Sprintf(", page %d", h.Page)
		}
		fmt.Fprintf(&sb, "[%d] %s\n%s\n\n", i+1, where, strings.TrimSpace(h.Text))
	}
	fmt.Fprintf(&sb, "Question: %s", question)
	resp, err := opt.LLM.Chat(ctx, llm.Request{Model: opt.Model, Messages: []llm.Message{
		{Role: "system", Content: systemPrompt}, {Role: "user", Content: sb.String()},
	}}, opt.OnDelta)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{Answer: strings.TrimSpace(resp.Text), Citations: []Citation{}}
	a.Trace = append(a.Trace, Step{"llm", fmt.Sprintf("%s %s: %d prompt tokens, %d answer tokens", opt.LLM.Name(), resp.Model, resp.PromptTokens, resp.CompletionTokens)})
	seen := map[int]bool{}
	for _, m := range marker.FindAllStringSubmatch(a.Answer, -1) {
		n, _ := strconv.Atoi(m[1])
		if n >= 1 && n <= len(hits) && !seen[n] {
			seen[n] = true
			a.Citations = append(a.Citations, cite(n, hits[n-1], hits[n-1].Text))
		}
	}
	sort.Slice(a.Citations, func(i, j int) bool { return a.Citations[i].N < a.Citations[j].N })
	return a, nil
}

// sentenceEnd splits after . ! ? followed by a space and a capital or digit.
var sentenceEnd = regexp.MustCompile(`([.!?])\s+`)

func sentences(text string) []string {
	var out []string
	// A line break ends a sentence too: headings, list items, table rows.
	for _, line := range strings.Split(text, "\n") {
		out = append(out, lineSentences(line)...)
	}
	return out
}

func lineSentences(text string) []string {
	var out []string
	start := 0
	for _, m := range sentenceEnd.FindAllStringIndex(text, -1) {
		next := text[m[1]:]
		if next == "" {
			continue
		}
		r := next[0]
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80) {
			continue // "e.g. the", "approx. 5" stay together
		}
		out = append(out, strings.TrimSpace(text[start:m[0]+1]))
		start = m[1]
	}
	if rest := strings.TrimSpace(text[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

type sentence struct {
	text  string
	hit   int // index in hits
	pos   int // position in its passage
	score float64
}

// extract picks the sentences that best answer the question: those sharing
// its rarer words, from the better-ranked passages.
func extract(question string, hits []search.Hit, n int) Answer {
	qstems := map[string]bool{}
	for _, w := range entity.Words(question) {
		if !search.IsStopWord(w) {
			qstems[search.Stem(w)] = true
		}
	}
	var all []sentence
	df := map[string]int{}
	stemsOf := make([]map[string]bool, 0)
	for hi, h := range hits {
		for pos, st := range sentences(h.Text) {
			if st == h.Title || st == h.Heading {
				continue // a heading line says what the passage is about, not the answer
			}
			set := map[string]bool{}
			for _, w := range entity.Words(st) {
				if s := search.Stem(w); qstems[s] {
					set[s] = true
				}
			}
			for s := range set {
				df[s]++
			}
			all = append(all, sentence{text: st, hit: hi, pos: pos})
			stemsOf = append(stemsOf, set)
		}
	}
	total := float64(len(all))
	for i := range all {
		var sc float64
		for s := range stemsOf[i] {
			sc += math.Log(1 + total/float64(df[s]))
		}
		if sc > 0 {
			// Better-ranked passages first; very long sentences read badly.
			sc *= 1 + 0.5/float64(all[i].hit+1)
			sc /= 1 + float64(len(all[i].text))/600
		}
		all[i].score = sc
	}
	ranked := append([]sentence(nil), all...)
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
	var picked []sentence
	for _, s := range ranked {
		if len(picked) == n || s.score <= 0 {
			break
		}
		picked = append(picked, s)
	}
	a := Answer{Extractive: true, Citations: []Citation{}}
	if len(picked) == 0 {
		a.Answer = NothingFound
		a.Trace = []Step{{"extractive", "no passage sentence shares the question's words"}}
		return a
	}
	// Read in source order: passage rank, then position.
	sort.SliceStable(picked, func(i, j int) bool {
		if picked[i].hit != picked[j].hit {
			return picked[i].hit < picked[j].hit
		}
		return picked[i].pos < picked[j].pos
	})
	num := map[int]int{}
	var parts []string
	for _, s := range picked {
		k, ok := num[s.hit]
		if !ok {
			k = len(num) + 1
			num[s.hit] = k
			a.Citations = append(a.Citations, cite(k, hits[s.hit], hits[s.hit].Text))
		}
		parts = append(parts, fmt.Sprintf("%s [%d]", s.text, k))
	}
	a.Answer = strings.Join(parts, " ")
	a.Trace = []Step{{"extractive", fmt.Sprintf("%d sentences from %d passages", len(picked), len(num))}}
	return a
}
