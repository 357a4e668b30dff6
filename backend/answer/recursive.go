package answer

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/search"
)

// Fact is an atomic statement read from a passage (Engram), with that
// passage as its source.
type Fact struct {
	Subject, Relation, Object string
	Source                    search.Hit
}

// Facts finds stored facts about the things a question names.
type Facts interface {
	FactsFor(ctx context.Context, question string, n int) ([]Fact, error)
}

// needPrefix is how the model asks for a fact the sources lack.
const needPrefix = "NEED:"

const recursivePrompt = `You answer questions from the user's own documents. Use only the numbered sources and known facts below.
After each statement, cite its source like [1] or [2][3]. Be brief.
If answering needs a fact the sources do not give, reply with one line only: NEED: <a short question asking for that fact>.`

const finalPrompt = `You answer questions from the user's own documents. Use only the numbered sources and known facts below.
After each statement, cite its source like [1] or [2][3]. If the sources do not answer the question, say that you do not know.
Be brief.`

// recursive answers with the model, hop by hop (Engram): answer what is
// known, or name the missing fact as a sub-question; retrieve for it; try
// again with the new passages, at most opt.Depth times.
func recursive(ctx context.Context, s Searcher, opt Options, q string, hits []search.Hit) (Answer, error) {
	var trace []Step
	var facts []Fact
	if opt.Facts != nil {
		if fs, err := opt.Facts.FactsFor(ctx, q, 12); err == nil && len(fs) > 0 {
			facts = fs
			hits = mergeHits(hits, factSources(fs))
			trace = append(trace, Step{"facts", fmt.Sprintf("%d known fact(s) about the question's names", len(fs))})
		}
	}
	asked := map[string]bool{strings.ToLower(q): true}
	for hop := 0; ; hop++ {
		last := hop >= opt.Depth
		system := recursivePrompt
		if last {
			system = finalPrompt
		}
		f, err := fit(ctx, opt, system, q, hits, facts)
		if err != nil {
			return Answer{}, err
		}
		got, err := complete(ctx, opt, system, f)
		if err != nil {
			return Answer{}, err
		}
		sub, need := strings.CutPrefix(strings.TrimSpace(got.Answer), needPrefix)
		sub = strings.TrimSpace(firstLine(sub))
		if !need || last || sub == "" || asked[strings.ToLower(sub)] {
			if need { // the model still lacks a fact: say so rather than show the request
				got.Answer = "I could not find everything needed to answer. Missing: " + sub
				if err := emit(opt, got.Answer); err != nil {
					return Answer{}, err
				}
			}
			got.Trace = append(trace, got.Trace...)
			return got, nil
		}
		asked[strings.ToLower(sub)] = true
		more, err := s.Search(ctx, search.Request{Query: sub, Limit: max(3, opt.Sources/2)})
		if err != nil {
			return Answer{}, err
		}
		before := len(hits)
		hits = mergeHits(hits, more)
		trace = append(trace, Step{"hop", fmt.Sprintf("%d: %q → %d new passage(s)", hop+1, sub, len(hits)-before)})
		if opt.Facts != nil {
			if fs, err := opt.Facts.FactsFor(ctx, sub, 6); err == nil {
				facts = append(facts, fs...)
				hits = mergeHits(hits, factSources(fs))
			}
		}
	}
}

func factSources(fs []Fact) []search.Hit {
	out := make([]search.Hit, len(fs))
	for i, f := range fs {
		out[i] = f.Source
	}
	return out
}

// mergeHits appends the hits not already present.
func mergeHits(hits, more []search.Hit) []search.Hit {
	seen := map[int64]bool{}
	for _, h := range hits {
		seen[h.ChunkID] = true
	}
	for _, h := range more {
		if !seen[h.ChunkID] {
			seen[h.ChunkID] = true
			hits = append(hits, h)
		}
	}
	return hits
}

// source is passage n as the prompt shows it.
func source(n int, h search.Hit) string {
	where := h.Title
	if h.Page > 0 {
		where += ", " + search.Pages(h.Page, h.PageEnd)
	}
	if h.Time != nil {
		where += ", at " + search.Clock(h.Time.StartMS)
	}
	return fmt.Sprintf("[%d] %s\n%s\n\n", n, where, strings.TrimSpace(h.Text))
}

// prompt numbers the sources; facts cite the source they were read from.
func prompt(q string, hits []search.Hit, facts []Fact) string {
	var sb strings.Builder
	num := map[int64]int{}
	for i, h := range hits {
		num[h.ChunkID] = i + 1
		sb.WriteString(source(i+1, h))
	}
	if len(facts) > 0 {
		sb.WriteString("Known facts:\n")
		for _, f := range facts {
			fmt.Fprintf(&sb, "- %s | %s | %s [%d]\n", f.Subject, f.Relation, f.Object, num[f.Source.ChunkID])
		}
		sb.WriteString("\n")
	}
	fmt.Fprintf(&sb, "Question: %s", q)
	return sb.String()
}

// complete asks the model and maps the [n] markers of its answer to the
// passages it was given; a marker of a passage not given is taken out and
// said, and an answer citing none is marked uncited, its passages beside
// it. The answer streams through OnDelta unless it turns out to be a
// request for a missing fact.
func complete(ctx context.Context, opt Options, system string, f fitted) (Answer, error) {
	var cs *citeStream
	g := &gate{}
	if opt.OnDelta != nil {
		cs = &citeStream{out: opt.OnDelta, given: len(f.given)}
		g.out = cs.write
	}
	resp, err := opt.LLM.Chat(ctx, llm.Request{Model: opt.Model, MaxTokens: f.maxTokens, Messages: []llm.Message{
		{Role: "system", Content: system}, {Role: "user", Content: f.user},
	}}, g.write)
	if err != nil {
		return Answer{}, err
	}
	if err := g.flush(); err != nil {
		return Answer{}, err
	}
	if cs != nil {
		if err := cs.flush(); err != nil {
			return Answer{}, err
		}
	}
	hits := f.given
	a := Answer{Citations: []Citation{}}
	for _, n := range resp.Notes {
		a.Trace = append(a.Trace, Step{"llm", n})
	}
	if f.step.Step != "" {
		a.Trace = append(a.Trace, f.step)
	}
	for _, h := range f.leftOut {
		a.LeftOut = append(a.LeftOut, cite(0, h, h.Text))
	}
	a.Trace = append(a.Trace, Step{"llm", fmt.Sprintf("%s %s: %d prompt tokens, %d answer tokens", opt.LLM.Name(), resp.Model, resp.PromptTokens, resp.CompletionTokens)})
	a.Answer, a.Removed = checkCitations(strings.TrimSpace(resp.Text), len(hits))
	if len(a.Removed) > 0 {
		a.Trace = append(a.Trace, Step{"citations", fmt.Sprintf("removed %v: the model was given passages 1 to %d only", a.Removed, len(hits))})
	}
	seen := map[int]bool{}
	for _, m := range marker.FindAllStringSubmatch(a.Answer, -1) {
		n, _ := strconv.Atoi(m[1])
		if !seen[n] {
			seen[n] = true
			a.Citations = append(a.Citations, cite(n, hits[n-1], hits[n-1].Text))
		}
	}
	sort.Slice(a.Citations, func(i, j int) bool { return a.Citations[i].N < a.Citations[j].N })
	if len(a.Citations) == 0 && !strings.HasPrefix(strings.TrimSpace(a.Answer), needPrefix) {
		a.Uncited = true
		for i, h := range hits {
			a.Sources = append(a.Sources, cite(i+1, h, h.Text))
		}
		a.Trace = append(a.Trace, Step{"citations", "the answer cites none of its passages: shown uncited, with its sources"})
	}
	return a, nil
}

// gate holds back the start of a streamed answer until it is clear whether
// it is the answer or a NEED line, which the user should not see.
type gate struct {
	out     func(string) error
	buf     strings.Builder
	decided bool
	hidden  bool
}

var needStart = regexp.MustCompile(`^\s*N(E(E(D(:)?)?)?)?$`)

func (g *gate) write(s string) error {
	if g.out == nil || g.hidden {
		return nil
	}
	if g.decided {
		return g.out(s)
	}
	g.buf.WriteString(s)
	held := g.buf.String()
	if strings.HasPrefix(strings.TrimSpace(held), needPrefix) {
		g.decided, g.hidden = true, true
		return nil
	}
	if needStart.MatchString(held) {
		return nil // could still become "NEED:"
	}
	g.decided = true
	return g.out(held)
}

func (g *gate) flush() error {
	if g.out == nil || g.decided || g.buf.Len() == 0 {
		return nil
	}
	g.decided = true
	if strings.HasPrefix(strings.TrimSpace(g.buf.String()), needPrefix) {
		return nil
	}
	return g.out(g.buf.String())
}
