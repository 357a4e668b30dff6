package search

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/postings"
	"github.com/hoardvault/hoard/backend/store"
)

// Filter narrows a search.
type Filter struct {
	Collection string    // collection name
	MediaType  string    // full type ("application/pdf") or a short name ("pdf", "markdown")
	Since      time.Time // document date (file mtime, or when added) on or after
	Until      time.Time // document date before

	docIDs []int64 // only these documents (multi-hop)
}

// Request is one search.
type Request struct {
	Query  string
	Limit  int
	Filter Filter
	// PerDocument keeps only the best chunk of each document, so Limit
	// counts documents (what a document-level benchmark ranks).
	PerDocument bool
	// Group is PerDocument for people: each document once, at its best
	// passage, with Hit.More saying how many more of its passages matched.
	Group bool
	// Expand adds this many neighbouring chunks on each side as Hit.Context.
	Expand int
}

// Hit is one citable result.
type Hit struct {
	ChunkID    int64   `json:"chunk_id"`
	DocID      int64   `json:"doc_id"`
	Title      string  `json:"title"`
	Path       string  `json:"path"`
	Page       int     `json:"page"`
	PageEnd    int     `json:"page_end"`
	Heading    string  `json:"heading"`
	Snippet    string  `json:"snippet"` // HTML-escaped, matches in <mark>
	Text       string  `json:"text"`
	Score      float64 `json:"score"` // higher is better
	Collection string  `json:"collection"`
	MediaType  string  `json:"media_type"`
	Via        string  `json:"via,omitempty"`     // how a hop reached it
	Context    string  `json:"context,omitempty"` // neighbouring text, when asked for
	// Time is where a transcript hit is cited: StartMS is the moment its
	// matched words are spoken (the first of them in the mention that says
	// the most of the query; the passage's start when no word matched, as
	// for a hit by meaning alone), EndMS the passage's end; nil for text.
	Time *TimeSpan `json:"time,omitempty"`
	// Passage is the whole span of the transcript chunk.
	Passage *TimeSpan `json:"passage,omitempty"`
	// More is how many more of this document's passages matched, when hits
	// are grouped by document.
	More int `json:"more,omitempty"`
}

// Pages names where a passage is in a paged document: "p. 51", or
// "pp. 51–52" when it runs over a page break; "" when it has no page.
func Pages(page, end int) string {
	switch {
	case page <= 0:
		return ""
	case end > page:
		return fmt.Sprintf("pp. %d–%d", page, end)
	default:
		return fmt.Sprintf("p. %d", page)
	}
}

// Clock formats a position in a recording as MM:SS, or H:MM:SS past an
// hour: how hits and citations name it ("memo.m4a 03:12").
func Clock(ms int64) string {
	s := ms / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// TimeSpan is a stretch of a recording in milliseconds from its start.
type TimeSpan struct {
	StartMS int64 `json:"start_ms"`
	EndMS   int64 `json:"end_ms"`
}

// Candidate is a chunk proposed by a retriever, with its score (higher is
// better).
type Candidate struct {
	ChunkID int64
	Score   float64
	Via     string // why it was found, when not by the query itself (a hop)
	seed    int64  // the chunk whose mention led a hop to it
	info    *chunkInfo
}

// hydrate turns candidates into hits with document, page and heading, from
// the rows the query has read.
func (s *Searcher) hydrate(ctx context.Context, rows *chunkRows, cands []Candidate, m matcher) ([]Hit, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	if err := rows.load(ctx, cands); err != nil {
		return nil, err
	}
	if err := rows.texts(ctx, cands); err != nil {
		return nil, err
	}
	// Rows from memory carry their path; the others' are read.
	var docs []int64
	for _, c := range cands {
		if c.info != nil && !c.info.HasPath {
			docs = append(docs, c.info.DocID)
		}
	}
	paths := map[int64]string{}
	if len(docs) > 0 {
		var err error
		if paths, err = s.src.FirstPaths(ctx, docs); err != nil {
			return nil, fmt.Errorf("load hits: %w", err)
		}
	}
	hits := make([]Hit, 0, len(cands))
	for _, c := range cands {
		// The text's words, numbered by the query's vocabulary (as m is).
		var body []uint32
		if sp := rows.split(c.ChunkID); sp != nil {
			body = sp.sid[2]
		}
		ci := c.info
		if ci == nil || ci.gone {
			continue // deleted between the stages
		}
		h := Hit{ChunkID: ci.ID, DocID: ci.DocID, Title: ci.Title, Page: ci.Page, PageEnd: ci.PageEnd, Heading: ci.Heading,
			Text: ci.text(), MediaType: ci.MediaType, Collection: ci.Collection, Path: paths[ci.DocID]}
		if ci.HasPath {
			h.Path = ci.Path
		}
		if ci.bodyErr != nil {
			return nil, fmt.Errorf("load hit %d: %w", ci.ID, ci.bodyErr)
		}
		h.Score = c.Score
		h.Via = c.Via
		h.Snippet = m.snippet(h.Text, body)
		if ci.Timed {
			h.Time = &TimeSpan{StartMS: ci.TimeStart, EndMS: ci.TimeEnd}
			p := *h.Time
			h.Passage = &p
			// Unreadable word times cost the hit its moment, not the search:
			// it is cited at its passage's start.
			if marks, err := store.DecodeMarks(ci.Marks); err == nil && len(marks) > 0 {
				if at, ok := m.moment(h.Text, marks, body); ok {
					h.Time = &TimeSpan{StartMS: at, EndMS: max(at, h.Passage.EndMS)}
				}
			}
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// BM25 retrieves chunks by full-text match, weighting title over heading over
// body.
type BM25 struct {
	src     lexicalReader
	mem     postingsReader // nil: every query goes to FTS5
	weights [3]float64     // title, heading, body
}

// postingsReader answers a plain OR of words from memory with FTS5's rows
// and scores (postings.Index); ok is false when it cannot, and FTS5 is
// asked.
type postingsReader interface {
	Search(ctx context.Context, q postings.Query, k int) ([]store.Match, bool, error)
}

func (b *BM25) Retrieve(ctx context.Context, q Query, f Filter, k int) ([]Candidate, error) {
	// The postings answer an OR of whole words and phrases (a CJK word is
	// matched as a prefix, so it goes to FTS5).
	if b.mem != nil && wholeWords(q) && f.Collection == "" && f.MediaType == "" && f.Since.IsZero() && f.Until.IsZero() {
		terms := append(append([]string(nil), q.Terms...), q.Phrases...) // FTS's order
		ms, ok, err := b.mem.Search(ctx, postings.Query{Terms: terms, Excluded: q.Excluded, Weights: b.weights, Docs: f.docIDs}, k)
		if err != nil {
			return nil, err
		}
		if ok {
			return candidates(ms), nil
		}
	}
	return b.match(ctx, q.FTS(), f, k)
}

// candidates are full-text matches as candidates.
func candidates(ms []store.Match) []Candidate {
	out := make([]Candidate, 0, len(ms))
	for _, m := range ms {
		out = append(out, Candidate{ChunkID: m.ID, Score: -m.BM25}) // FTS5's bm25 is lower-is-better
	}
	return out
}

// match runs one FTS5 expression.
func (b *BM25) match(ctx context.Context, expr string, f Filter, k int) ([]Candidate, error) {
	if expr == "" {
		return nil, nil
	}
	ms, err := b.src.MatchChunks(ctx, expr, b.weights, f.chunkFilter(), k)
	if err != nil {
		return nil, err
	}
	return candidates(ms), nil
}

var shortTypes = map[string]string{
	"pdf": "application/pdf", "markdown": "text/markdown", "md": "text/markdown", "text": "text/plain", "txt": "text/plain",
	"html": "text/html", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"odt": "application/vnd.oasis.opendocument.text", "epub": "application/epub+zip",
}

// chunkFilter is the filter as the store applies it.
func (f Filter) chunkFilter() store.ChunkFilter {
	mt := strings.ToLower(f.MediaType)
	if full, ok := shortTypes[mt]; ok {
		mt = full
	}
	return store.ChunkFilter{Collection: f.Collection, MediaType: mt, DocIDs: f.docIDs, Since: f.Since, Until: f.Until}
}
