package answer

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/text"
)

// Gist is a document's entry in the vault's global memory.
type Gist struct {
	DocID      int64
	Title      string
	Gist       string
	Keyphrases []string
}

// Memory is the vault's global memory (MemoRAG): a gist per document.
type Memory interface {
	// Recall returns the gists that best match a text.
	Recall(ctx context.Context, text string, n int) ([]Gist, error)
	// GistOf returns a document's gist ("" when there is none).
	GistOf(ctx context.Context, docID int64) (string, error)
}

// query is one of the searches that feed an answer.
type query struct {
	text   string
	weight float64
	why    string
}

// clues are the extra searches a question gets. Without a model: each name
// the question holds, searched alone, so a question about two things finds
// both ("Which came first, X or Y?"). With one: the model reads the gists
// the question recalls (the global memory) and writes surrogate queries for
// the evidence, intermediate facts included.
func clues(ctx context.Context, opt Options, q string) ([]query, []Step) {
	var out []query
	var steps []Step
	if names := Names(q); len(names) >= 2 {
		for _, n := range names {
			out = append(out, query{n, 1.0, "name"})
		}
		steps = append(steps, Step{"clues", "names searched alone: " + strings.Join(names, "; ")})
	}
	if opt.LLM == nil || opt.Memory == nil {
		return out, steps
	}
	gists, err := opt.Memory.Recall(ctx, q, 8)
	if err != nil || len(gists) == 0 {
		return out, steps
	}
	var sb strings.Builder
	for _, g := range gists {
		fmt.Fprintf(&sb, "- %s: %s\n", g.Title, g.Gist)
	}
	fmt.Fprintf(&sb, "\nQuestion: %s", q)
	resp, err := opt.LLM.Chat(ctx, llm.Request{Model: opt.Model, Messages: []llm.Message{
		{Role: "system", Content: cluePrompt}, {Role: "user", Content: sb.String()},
	}}, nil)
	if err != nil {
		steps = append(steps, Step{"clues", "the model wrote no clues: " + err.Error()})
		return out, steps
	}
	var got []string
	for _, line := range strings.Split(resp.Text, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-*0123456789.) "))
		if line != "" && len(got) < 3 {
			got = append(got, line)
			out = append(out, query{line, 0.7, "clue"})
		}
	}
	if len(got) > 0 {
		steps = append(steps, Step{"clues", fmt.Sprintf("from %d gists of the global memory: %s", len(gists), strings.Join(got, " | "))})
	}
	return out, steps
}

const cluePrompt = `Below is a memory of the user's documents: one line per document. Write up to three short search queries, one per line, that would find the passages needed to answer the question, including any intermediate fact it depends on. Reply with the queries only.`

// gather runs the question and its clues and fuses the lists (reciprocal
// rank, k=60), the question's own list weighing most.
func gather(ctx context.Context, s Searcher, opt Options, q string) ([]search.Hit, []Step, error) {
	qs := []query{{q, 1, "question"}}
	more, steps := clues(ctx, opt, q)
	qs = append(qs, more...)
	if len(qs) == 1 {
		hits, err := s.Search(ctx, search.Request{Query: q, Limit: opt.Sources})
		return hits, steps, err
	}
	type acc struct {
		hit   search.Hit
		score float64
	}
	byID := map[int64]*acc{}
	for _, x := range qs {
		hits, err := s.Search(ctx, search.Request{Query: x.text, Limit: 2 * opt.Sources})
		if err != nil {
			return nil, steps, err
		}
		for r, h := range hits {
			a := byID[h.ChunkID]
			if a == nil {
				a = &acc{hit: h}
				byID[h.ChunkID] = a
			}
			a.score += x.weight / float64(60+r+1)
		}
	}
	all := make([]*acc, 0, len(byID))
	for _, a := range byID {
		all = append(all, a)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].hit.ChunkID < all[j].hit.ChunkID
	})
	var hits []search.Hit
	for _, a := range all[:min(len(all), opt.Sources)] {
		hits = append(hits, a.hit)
	}
	return hits, steps, nil
}

// summaryIntent recognizes "summarize what my notes say about X" and the like;
// the topic is what follows, less any "what my notes say about".
var (
	summaryIntent = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:summari[sz]e|give (?:me )?(?:an )?overview of|overview of|tell me everything (?:i know )?about|what do(?:es)? (?:my|the|our) (?:notes|documents|docs|files|vault) say (?:about|on))\s+(.+)$`)
	summaryLead   = regexp.MustCompile(`(?i)^(?:what|everything)?\s*(?:my|the|our)?\s*(?:notes|documents|docs|files|vault)?\s*(?:says?|said)?\s*(?:about|on|regarding)\s+`)
)

// SummaryTopic returns the topic of a summary request, or "".
func SummaryTopic(q string) string {
	m := summaryIntent.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		return ""
	}
	topic := summaryLead.ReplaceAllString(strings.TrimSpace(m[1]), "")
	return strings.TrimSpace(strings.TrimRight(topic, "?.! "))
}

// summarize answers "what do my notes say about X" from the gists of the
// documents about X plus their best passage: the model writes it when there
// is one, else each document's gist is listed with its citation.
func summarize(ctx context.Context, s Searcher, opt Options, topic string) (Answer, error) {
	a := Answer{Citations: []Citation{}}
	hits, err := s.Search(ctx, search.Request{Query: topic, Limit: 8, PerDocument: true})
	if err != nil {
		return a, err
	}
	a.Trace = append(a.Trace, Step{"summary", fmt.Sprintf("%d document(s) about %q", len(hits), topic)})
	if len(hits) == 0 {
		a.Answer, a.Extractive = NothingFound, opt.LLM == nil
		return a, emit(opt, a.Answer)
	}
	gists := make([]string, len(hits))
	for i, h := range hits {
		if opt.Memory != nil {
			gists[i], _ = opt.Memory.GistOf(ctx, h.DocID)
		}
		if gists[i] == "" {
			gists[i] = text.Clip(h.Text, 300)
		}
	}
	if opt.LLM != nil {
		// Each document as its gist and its best passage, fitted to the
		// model's context like any question's passages; the citations keep
		// the passages themselves.
		shown := make([]search.Hit, len(hits))
		for i, h := range hits {
			shown[i] = h
			shown[i].Text = "Gist: " + gists[i] + "\nPassage: " + strings.TrimSpace(h.Text)
		}
		f, err := fit(ctx, opt, summaryPrompt, "Summarize what these documents say about: "+topic, shown, nil)
		var got Answer
		if err == nil {
			for i := range f.given {
				f.given[i] = hitByChunk(hits, f.given[i].ChunkID)
			}
			for i := range f.leftOut {
				f.leftOut[i] = hitByChunk(hits, f.leftOut[i].ChunkID)
			}
			got, err = complete(ctx, opt, summaryPrompt, f)
		}
		if err == nil {
			got.Trace = append(a.Trace, got.Trace...)
			return got, nil
		}
		if ctx.Err() != nil {
			return a, ctx.Err()
		}
		a.Trace = append(a.Trace, Step{"llm", "unavailable, summarizing from the gists: " + err.Error()})
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d document(s) in your vault speak of %s:\n", len(hits), topic)
	for i, h := range hits {
		fmt.Fprintf(&sb, "- %s: %s [%d]\n", h.Title, gists[i], i+1)
		a.Citations = append(a.Citations, cite(i+1, h, h.Text))
	}
	a.Answer, a.Extractive = strings.TrimSpace(sb.String()), true
	return a, emit(opt, a.Answer)
}

const summaryPrompt = `You summarize what the user's own documents say about a topic. Use only the numbered documents below; each has a gist and a passage.
Write a short overview, citing each statement's source like [1] or [2][3]. Mention where documents disagree.`
