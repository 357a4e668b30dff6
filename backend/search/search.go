package search

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Filter narrows a search.
type Filter struct {
	Collection string    // collection name
	MediaType  string    // full type ("application/pdf") or a short name ("pdf", "markdown")
	Since      time.Time // document date (file mtime, or when added) on or after
	Until      time.Time // document date before
}

// Request is one search.
type Request struct {
	Query  string
	Limit  int
	Filter Filter
	// PerDocument keeps only the best chunk of each document, so Limit
	// counts documents (what a document-level benchmark ranks).
	PerDocument bool
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
}

// Candidate is a chunk proposed by a retriever, with its score (higher is
// better) and, where the retriever has one, a snippet.
type Candidate struct {
	ChunkID int64
	DocID   int64 // 0 until a stage needs it
	Score   float64
	Snippet string
}

// Retriever proposes candidates for a query: the first stage of the pipeline.
type Retriever interface {
	Retrieve(ctx context.Context, q Query, f Filter, k int) ([]Candidate, error)
}

// Searcher runs the pipeline over one vault database.
type Searcher struct {
	db      *sql.DB
	lexical Retriever
}

// New returns a searcher with the lexical retriever.
func New(db *sql.DB) *Searcher {
	return &Searcher{db: db, lexical: &BM25{db: db}}
}

// Search runs a request. Any query text is accepted; text with nothing to
// match returns no hits and no error.
func (s *Searcher) Search(ctx context.Context, req Request) ([]Hit, error) {
	if req.Limit <= 0 {
		req.Limit = 10
	}
	q := Parse(req.Query)
	if q.Empty() {
		return nil, nil
	}
	depth := req.Limit
	if req.PerDocument {
		// Documents have several chunks: look deeper to fill Limit documents.
		depth = req.Limit * 3
	}
	cands, err := s.lexical.Retrieve(ctx, q, req.Filter, depth)
	if err != nil {
		return nil, err
	}
	if req.PerDocument {
		if cands, err = s.collapse(ctx, cands); err != nil {
			return nil, err
		}
	}
	if len(cands) > req.Limit {
		cands = cands[:req.Limit]
	}
	return s.hydrate(ctx, cands, newMatcher(q))
}

// collapse keeps the first (best) candidate of each document.
func (s *Searcher) collapse(ctx context.Context, cands []Candidate) ([]Candidate, error) {
	if err := s.assignDocs(ctx, cands); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	out := cands[:0]
	for _, c := range cands {
		if !seen[c.DocID] {
			seen[c.DocID] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// assignDocs fills in the document of each candidate.
func (s *Searcher) assignDocs(ctx context.Context, cands []Candidate) error {
	if len(cands) == 0 {
		return nil
	}
	ids, marks := idArgs(cands)
	rows, err := s.db.QueryContext(ctx, `SELECT id, document_id FROM chunks WHERE id IN (`+marks+`)`, ids...)
	if err != nil {
		return fmt.Errorf("candidate documents: %w", err)
	}
	defer rows.Close()
	doc := make(map[int64]int64, len(cands))
	for rows.Next() {
		var id, d int64
		if err := rows.Scan(&id, &d); err != nil {
			return err
		}
		doc[id] = d
	}
	for i := range cands {
		cands[i].DocID = doc[cands[i].ChunkID]
	}
	return rows.Err()
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
		coalesce((SELECT path FROM sources WHERE document_id = d.id ORDER BY id LIMIT 1), '')
		FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections col ON col.id = d.collection_id
		WHERE c.id IN (`+marks+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]Hit, len(cands))
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ChunkID, &h.DocID, &h.Title, &h.Page, &h.PageEnd, &h.Heading, &h.Text, &h.MediaType, &h.Collection, &h.Path); err != nil {
			return nil, fmt.Errorf("load hits: %w", err)
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
		h.Snippet = c.Snippet
		if h.Snippet == "" {
			h.Snippet = m.snippet(h.Text)
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// BM25 retrieves chunks by full-text match, weighting title over heading over
// body.
type BM25 struct{ db *sql.DB }

// Column weights of the full-text index (title, heading, body). Calling
// bm25() with them is faster than a configured rank function.
const bm25Weights = "2.0, 1.5, 1.0"

func (b *BM25) Retrieve(ctx context.Context, q Query, f Filter, k int) ([]Candidate, error) {
	where, args := filterSQL(f)
	query := `SELECT rowid, bm25(chunks_fts, ` + bm25Weights + `) AS score FROM chunks_fts WHERE chunks_fts MATCH ?`
	allArgs := []any{q.FTS()}
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
	date := "(CASE WHEN d.mtime > 0 THEN d.mtime ELSE d.created_at END)"
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
