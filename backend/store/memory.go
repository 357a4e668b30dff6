package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Gist is a document's entry in the global memory.
type Gist struct {
	DocumentID int64  `json:"doc_id"`
	Title      string `json:"title"`
	Gist       string `json:"gist"`
	Keyphrases string `json:"keyphrases"` // comma-separated
	ByLLM      bool   `json:"by_llm"`
}

// PutGist stores or replaces a document's gist.
func (s *Store) PutGist(ctx context.Context, g Gist) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		// A gist it replaces leaves the index by the update's trigger.
		_, err := tx.ExecContext(ctx, `INSERT INTO gists (document_id, gist, keyphrases, by_llm, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (document_id) DO UPDATE SET gist = excluded.gist, keyphrases = excluded.keyphrases,
		by_llm = excluded.by_llm, updated_at = excluded.updated_at`, g.DocumentID, g.Gist, g.Keyphrases, g.ByLLM, now())
		if err != nil {
			return err
		}
		return indexGist(ctx, tx, g.DocumentID, g.Gist, g.Keyphrases)
	})
	if err != nil {
		return fmt.Errorf("gist of document %d: %w", g.DocumentID, err)
	}
	return nil
}

const gistColumns = `g.document_id, d.title, g.gist, g.keyphrases, g.by_llm`

// scanGists reads gists, and the text of those stored as references.
func (s *Store) scanGists(ctx context.Context, rows *sql.Rows) ([]Gist, error) {
	out := []Gist{}
	var refs [][2][]byte // beside out: the gist's and the keyphrases'
	for rows.Next() {
		var g Gist
		var r [2][]byte
		if err := rows.Scan(&g.DocumentID, &g.Title, gistScan{&g.Gist, &r[0]}, gistScan{&g.Keyphrases, &r[1]}, &g.ByLLM); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, r := range refs {
		if r[0] == nil && r[1] == nil {
			continue
		}
		title, text, err := s.DocumentText(ctx, out[i].DocumentID)
		if err == nil {
			err = unpackGistRow(&out[i].Gist, &out[i].Keyphrases, r, title, text)
		}
		if err != nil {
			return nil, fmt.Errorf("gist of document %d: %w", out[i].DocumentID, err)
		}
	}
	return out, nil
}

// unpackGistRow reads a gist's and its keyphrases' references, those it
// has, against its document's title and text.
func unpackGistRow(gist, keys *string, refs [2][]byte, title, text string) error {
	var err error
	if refs[0] != nil {
		if *gist, err = unpackGist(refs[0], text); err != nil {
			return err
		}
	}
	if refs[1] != nil {
		*keys, err = unpackKeyphrases(refs[1], title, text)
	}
	return err
}

// Gist returns a document's gist, or ErrNotFound.
func (s *Store) Gist(ctx context.Context, docID int64) (Gist, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+gistColumns+` FROM gists g JOIN documents d ON d.id = g.document_id WHERE g.document_id = ?`, docID)
	if err != nil {
		return Gist{}, fmt.Errorf("gist of document %d: %w", docID, err)
	}
	gs, err := s.scanGists(ctx, rows)
	if err != nil {
		return Gist{}, fmt.Errorf("gist of document %d: %w", docID, err)
	}
	if len(gs) == 0 {
		return Gist{}, fmt.Errorf("gist of document %d: %w", docID, ErrNotFound)
	}
	return gs[0], nil
}

// Gists lists gists; with onlyExtractive only those not written by a model
// (which a model may improve).
func (s *Store) Gists(ctx context.Context, onlyExtractive bool, limit int) ([]Gist, error) {
	if limit <= 0 {
		limit = -1
	}
	q := `SELECT ` + gistColumns + ` FROM gists g JOIN documents d ON d.id = g.document_id`
	if onlyExtractive {
		q += ` WHERE g.by_llm = 0`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY g.document_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list gists: %w", err)
	}
	return s.scanGists(ctx, rows)
}

// MatchGists finds the gists that best match a full-text expression.
func (s *Store) MatchGists(ctx context.Context, fts string, limit int) ([]Gist, error) {
	if fts == "" {
		return []Gist{}, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+gistColumns+` FROM gists_fts f
		JOIN gists g ON g.document_id = f.rowid JOIN documents d ON d.id = g.document_id
		WHERE gists_fts MATCH ? ORDER BY bm25(gists_fts, 1.0, 2.0) LIMIT ?`, fts, limit)
	if err != nil {
		return nil, fmt.Errorf("match gists: %w", err)
	}
	return s.scanGists(ctx, rows)
}

// DocumentsWithoutGist lists indexed documents the global memory lacks.
func (s *Store) DocumentsWithoutGist(ctx context.Context, limit int) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id FROM documents d LEFT JOIN gists g ON g.document_id = d.id
		WHERE d.status = 'indexed' AND g.document_id IS NULL ORDER BY d.id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("documents without gist: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Fact is an atomic (subject, relation, object) statement with its source.
type Fact struct {
	ID       int64  `json:"id"`
	ChunkID  int64  `json:"chunk_id"`
	Subject  string `json:"subject"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
}

// FactChunk is a chunk facts have not been read from yet.
type FactChunk struct {
	ID    int64
	Title string
	Text  string
}

// UnreadChunks lists chunks after id that no model has read facts from.
func (s *Store) UnreadChunks(ctx context.Context, after int64, limit int) ([]FactChunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, d.title, c.text FROM chunks c JOIN documents d ON d.id = c.document_id
		LEFT JOIN facts_read r ON r.chunk_id = c.id WHERE r.chunk_id IS NULL AND c.id > ? ORDER BY c.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("chunks to read facts from: %w", err)
	}
	defer rows.Close()
	var out []FactChunk
	for rows.Next() {
		var c FactChunk
		if err := rows.Scan(&c.ID, &c.Title, chunkText(s.dicts, &c.Text)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutFacts stores the facts read from a chunk and marks it read, in one
// transaction. norm maps a name to its entity-index form; subjects and
// objects are routed to (and, when new, added to) the entity index.
func (s *Store) PutFacts(ctx context.Context, chunkID int64, model string, facts []Fact, norm func(string) string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		w := newEntityWriter(newStmtTx(tx))
		if _, err := tx.ExecContext(ctx, `DELETE FROM facts WHERE chunk_id = ?`, chunkID); err != nil {
			return fmt.Errorf("facts of chunk %d: %w", chunkID, err)
		}
		for _, f := range facts {
			se, oe, err := w.factEntities(ctx, f.Subject, f.Object, norm)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO facts (chunk_id, subject, relation, object, subject_entity, object_entity)
				VALUES (?, ?, ?, ?, ?, ?)`, chunkID, f.Subject, f.Relation, f.Object, se, oe); err != nil {
				return fmt.Errorf("facts of chunk %d: %w", chunkID, err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO facts_read (chunk_id, model) VALUES (?, ?)`, chunkID, model)
		return err
	})
}

// factEntities routes a fact's subject and object to the entity index
// (nil for a name that normalizes to nothing).
func (w *entityWriter) factEntities(ctx context.Context, subject, object string, norm func(string) string) (se, oe any, err error) {
	of := func(name string) (any, error) {
		if n := norm(name); n != "" {
			return w.id(ctx, n)
		}
		return nil, nil
	}
	if se, err = of(subject); err != nil {
		return nil, nil, err
	}
	oe, err = of(object)
	return se, oe, err
}

// FactsAbout returns facts whose subject or object is one of the named
// (normalized) entities.
func (s *Store) FactsAbout(ctx context.Context, names []string, limit int) ([]Fact, error) {
	out := []Fact{}
	seen := map[int64]bool{}
	for _, n := range names {
		rows, err := s.db.QueryContext(ctx, `SELECT f.id, f.chunk_id, f.subject, f.relation, f.object FROM facts f
			JOIN entities e ON e.id = f.subject_entity OR e.id = f.object_entity WHERE e.key = ? AND e.name = ? ORDER BY f.id LIMIT ?`, entityKey(n), n, limit)
		if err != nil {
			return nil, fmt.Errorf("facts about %q: %w", n, err)
		}
		for rows.Next() {
			var f Fact
			if err := rows.Scan(&f.ID, &f.ChunkID, &f.Subject, &f.Relation, &f.Object); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[f.ID] && len(out) < limit {
				seen[f.ID] = true
				out = append(out, f)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FactCounts reports facts stored and chunks read and unread.
func (s *Store) FactCounts(ctx context.Context) (facts, read, unread int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM facts_read),
		(SELECT count(*) FROM chunks) - (SELECT count(*) FROM facts_read)`).Scan(&facts, &read, &unread)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, 0, fmt.Errorf("count facts: %w", err)
	}
	return facts, read, unread, nil
}

// ChunkRef is where a chunk comes from, for citing it.
type ChunkRef struct {
	ChunkID int64
	DocID   int64
	Title   string
	Path    string
	Page    int
	Text    string
}

// ChunkRef looks a chunk up for citation.
func (s *Store) ChunkRef(ctx context.Context, chunkID int64) (ChunkRef, error) {
	r := ChunkRef{ChunkID: chunkID}
	err := s.db.QueryRowContext(ctx, `SELECT d.id, d.title, coalesce((SELECT min(path) FROM sources WHERE document_id = d.id), ''),
		c.page_start, c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`, chunkID).
		Scan(&r.DocID, &r.Title, &r.Path, &r.Page, chunkText(s.dicts, &r.Text))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("chunk %d: %w", chunkID, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("chunk %d: %w", chunkID, err)
	}
	return r, nil
}
