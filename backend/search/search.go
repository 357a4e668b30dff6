package search

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

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
	info    *chunkInfo
}

func idArgs(cands []Candidate) ([]any, string) {
	ids := make([]any, len(cands))
	for i, c := range cands {
		ids[i] = c.ChunkID
	}
	return ids, strings.TrimSuffix(strings.Repeat("?,", len(cands)), ",")
}

// hydrate turns candidates into hits with document, page and heading.
func (s *Searcher) hydrate(ctx context.Context, cands []Candidate, m matcher) ([]Hit, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	ids, marks := idArgs(cands)
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.document_id, d.title, c.page_start, c.page_end, c.heading, c.text, d.media_type, col.name,
		coalesce((SELECT path FROM sources WHERE document_id = d.id ORDER BY id LIMIT 1), ''), c.time_start, c.time_end, c.time_marks
		FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections col ON col.id = d.collection_id
		WHERE c.id IN (`+marks+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]Hit, len(cands))
	marksOf := map[int64][]store.Mark{}
	for rows.Next() {
		var h Hit
		var ts, te sql.NullInt64
		var marks []byte
		if err := rows.Scan(&h.ChunkID, &h.DocID, &h.Title, &h.Page, &h.PageEnd, &h.Heading, &h.Text, &h.MediaType, &h.Collection, &h.Path, &ts, &te, &marks); err != nil {
			return nil, fmt.Errorf("load hits: %w", err)
		}
		if ts.Valid {
			h.Time = &TimeSpan{StartMS: ts.Int64, EndMS: te.Int64}
			p := *h.Time
			h.Passage = &p
			// Unreadable word times cost the hit its moment, not the search:
			// it is cited at its passage's start.
			if ms, err := store.DecodeMarks(marks); err == nil && len(ms) > 0 {
				marksOf[h.ChunkID] = ms
			}
		}
		byID[h.ChunkID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	hits := make([]Hit, 0, len(cands))
	for _, c := range cands {
		h, ok := byID[c.ChunkID]
		if !ok {
			continue // deleted between the stages
		}
		h.Score = c.Score
		h.Via = c.Via
		h.Snippet = m.snippet(h.Text)
		if marks := marksOf[h.ChunkID]; h.Time != nil && len(marks) > 0 {
			if at, ok := m.moment(h.Text, marks); ok {
				h.Time = &TimeSpan{StartMS: at, EndMS: max(at, h.Passage.EndMS)}
			}
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// BM25 retrieves chunks by full-text match, weighting title over heading over
// body.
type BM25 struct {
	db      *sql.DB
	weights string // "title, heading, body"; empty for the defaults
}

// Column weights of the full-text index (title, heading, body). Calling
// bm25() with them is faster than a configured rank function.
const bm25Weights = "2.0, 1.5, 1.0"

func (b *BM25) Retrieve(ctx context.Context, q Query, f Filter, k int) ([]Candidate, error) {
	return b.match(ctx, q.FTS(), f, k)
}

// match runs one FTS5 expression.
func (b *BM25) match(ctx context.Context, expr string, f Filter, k int) ([]Candidate, error) {
	if expr == "" {
		return nil, nil
	}
	weights := b.weights
	if weights == "" {
		weights = bm25Weights
	}
	where, args := filterSQL(f)
	query := `SELECT rowid, bm25(chunks_fts, ` + weights + `) AS score FROM chunks_fts WHERE chunks_fts MATCH ?`
	allArgs := []any{expr}
	if where != "" {
		query += ` AND rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id
			JOIN collections col ON col.id = d.collection_id WHERE ` + where + `)`
		allArgs = append(allArgs, args...)
	}
	query += ` ORDER BY score LIMIT ?`
	allArgs = append(allArgs, k)
	rows, err := b.db.QueryContext(ctx, query, allArgs...)
	if err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		var score float64
		if err := rows.Scan(&c.ChunkID, &score); err != nil {
			return nil, fmt.Errorf("full-text search: %w", err)
		}
		c.Score = -score // FTS5's bm25 is lower-is-better
		out = append(out, c)
	}
	return out, rows.Err()
}

var shortTypes = map[string]string{
	"pdf": "application/pdf", "markdown": "text/markdown", "md": "text/markdown", "text": "text/plain", "txt": "text/plain",
	"html": "text/html", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"odt": "application/vnd.oasis.opendocument.text", "epub": "application/epub+zip",
}

// documentDate is a document's own date where it gives one (front matter's
// date, an Office or EPUB file's created or date; unixepoch reads ISO 8601),
// else its file's modification time, else when it was added.
const documentDate = `coalesce(
	unixepoch(json_extract(d.metadata, '$.date')),
	unixepoch(json_extract(d.metadata, '$.created')),
	CASE WHEN d.mtime > 0 THEN d.mtime ELSE d.created_at END)`

func filterSQL(f Filter) (string, []any) {
	var conds []string
	var args []any
	if f.Collection != "" {
		conds = append(conds, "col.name = ?")
		args = append(args, f.Collection)
	}
	if f.MediaType != "" {
		mt := strings.ToLower(f.MediaType)
		if full, ok := shortTypes[mt]; ok {
			mt = full
		}
		conds = append(conds, "d.media_type = ?")
		args = append(args, mt)
	}
	if len(f.docIDs) > 0 {
		conds = append(conds, "d.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.docIDs)), ",")+")")
		for _, d := range f.docIDs {
			args = append(args, d)
		}
	}
	date := documentDate
	if !f.Since.IsZero() {
		conds = append(conds, date+" >= ?")
		args = append(args, f.Since.Unix())
	}
	if !f.Until.IsZero() {
		conds = append(conds, date+" < ?")
		args = append(args, f.Until.Unix())
	}
	return strings.Join(conds, " AND "), args
}
