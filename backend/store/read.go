package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// DefaultCollection holds documents added without naming a collection.
const DefaultCollection = "library"

// DocumentInfo is a document as listed to users.
type DocumentInfo struct {
	ID         int64          `json:"id"`
	Collection string         `json:"collection"`
	Title      string         `json:"title"`
	Paths      []string       `json:"paths"`
	MediaType  string         `json:"media_type"`
	Size       int64          `json:"size"`
	MTime      int64          `json:"mtime"`
	Hash       string         `json:"hash"`
	Status     string         `json:"status"`
	Error      string         `json:"error,omitempty"`
	Chunks     int            `json:"chunks"`
	Pages      int            `json:"pages"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	CreatedAt  int64          `json:"created_at"`
	UpdatedAt  int64          `json:"updated_at"`
}

// ListOptions filters and pages a document listing.
type ListOptions struct {
	Collection string
	Status     string
	// Query keeps documents whose title or a path contains it (any case).
	Query string
	// Sort is updated, added, title, size, status or type (a leading "-"
	// reverses); "" is the most recently changed first.
	Sort   string
	Limit  int // 0 means no limit
	Offset int
}

// sortOrders are the document listing's orders; a leading "-" reverses.
var sortOrders = map[string]string{
	"updated": "d.updated_at DESC, d.id DESC",
	"added":   "d.created_at DESC, d.id DESC",
	"title":   "d.title COLLATE NOCASE ASC, d.id ASC",
	"size":    "d.size DESC, d.id DESC",
	"status":  "d.status ASC, d.updated_at DESC, d.id DESC",
	"type":    "d.media_type ASC, d.title COLLATE NOCASE ASC, d.id ASC",
}

// ErrBadSort is returned for a sort order that does not exist.
var ErrBadSort = errors.New("unknown sort order (updated, added, title, size, status or type, - to reverse)")

func orderBy(sort string) (string, error) {
	if sort == "" {
		return sortOrders["updated"], nil
	}
	key, desc := strings.CutPrefix(sort, "-")
	o, ok := sortOrders[key]
	if !ok {
		return "", fmt.Errorf("%q: %w", sort, ErrBadSort)
	}
	if desc {
		r := strings.NewReplacer(" ASC", " DESC", " DESC", " ASC")
		o = r.Replace(o)
	}
	return o, nil
}

const docColumns = `d.id, c.name, d.title, d.media_type, d.size, d.mtime, coalesce(` + docHash + `, ''), d.status, d.error, d.metadata, d.created_at, d.updated_at,
	(SELECT count(*) FROM chunks WHERE document_id = d.id),
	(SELECT coalesce(max(page_end), 0) FROM chunks WHERE document_id = d.id),
	(SELECT group_concat(path, char(10)) FROM (SELECT path FROM sources WHERE document_id = d.id ORDER BY path))`

func scanDoc(sc interface{ Scan(...any) error }) (DocumentInfo, error) {
	var d DocumentInfo
	var meta string
	var paths sql.NullString
	err := sc.Scan(&d.ID, &d.Collection, &d.Title, &d.MediaType, &d.Size, &d.MTime, &d.Hash, &d.Status, &d.Error, &meta,
		&d.CreatedAt, &d.UpdatedAt, &d.Chunks, &d.Pages, &paths)
	if err != nil {
		return d, err
	}
	if paths.String != "" {
		d.Paths = strings.Split(paths.String, "\n")
	}
	if meta != "" && meta != "{}" {
		if err := json.Unmarshal([]byte(meta), &d.Metadata); err != nil {
			return d, fmt.Errorf("document %d metadata: %w", d.ID, err)
		}
	}
	return d, nil
}

// ListDocuments lists documents, newest first, with the total count for paging.
func (s *Store) ListDocuments(ctx context.Context, opt ListOptions) ([]DocumentInfo, int, error) {
	where, args := []string{"1=1"}, []any{}
	if opt.Collection != "" {
		where = append(where, "c.name = ?")
		args = append(args, opt.Collection)
	}
	if opt.Status != "" {
		where = append(where, "d.status = ?")
		args = append(args, opt.Status)
	}
	if opt.Query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(opt.Query) + "%"
		where = append(where, `(d.title LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM sources s WHERE s.document_id = d.id AND s.path LIKE ? ESCAPE '\'))`)
		args = append(args, like, like)
	}
	order, err := orderBy(opt.Sort)
	if err != nil {
		return nil, 0, err
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM documents d JOIN collections c ON c.id = d.collection_id WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count documents: %w", err)
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = -1
	}
	// The page's ids first (an index walk), then its columns: the per-row
	// subqueries run for the page only, not for every row sorted.
	q := `SELECT ` + docColumns + ` FROM (SELECT d.id FROM documents d JOIN collections c ON c.id = d.collection_id WHERE ` + cond +
		` ORDER BY ` + order + ` LIMIT ? OFFSET ?) page JOIN documents d ON d.id = page.id JOIN collections c ON c.id = d.collection_id ORDER BY ` + order
	rows, err := s.db.QueryContext(ctx, q, append(args, limit, opt.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []DocumentInfo
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list documents: %w", err)
		}
		out = append(out, d)
	}
	return out, total, rows.Err()
}

// GetDocument returns one document.
func (s *Store) GetDocument(ctx context.Context, id int64) (DocumentInfo, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.id = ?`, id)
	d, err := scanDoc(row)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("document %d: %w", id, err)
	}
	return d, nil
}

// Chunks returns a document's chunks in order.
func (s *Store) Chunks(ctx context.Context, docID int64) ([]Chunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ordinal, text, page_start, page_end, heading, char_start, char_end, time_start, time_end, time_marks FROM chunks WHERE document_id = ? ORDER BY ordinal`, docID)
	if err != nil {
		return nil, fmt.Errorf("chunks of %d: %w", docID, err)
	}
	defer rows.Close()
	var out []Chunk
	for rows.Next() {
		var c Chunk
		var ts, te sql.NullInt64
		var marks []byte
		if err := rows.Scan(&c.ID, &c.Ordinal, chunkText(s.dicts, &c.Text), &c.PageStart, &c.PageEnd, &c.Heading, &c.CharStart, &c.CharEnd, &ts, &te, &marks); err != nil {
			return nil, err
		}
		if ts.Valid {
			c.Time = &Span{StartMS: ts.Int64, EndMS: te.Int64}
		}
		if c.Marks, err = DecodeMarks(marks); err != nil {
			return nil, fmt.Errorf("chunk %d: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Stats are vault-wide figures.
type Stats struct {
	Documents int   `json:"documents"`
	Indexed   int   `json:"indexed"`
	Failed    int   `json:"failed"`
	Queued    int   `json:"queued"`
	Chunks    int   `json:"chunks"`
	Sources   int   `json:"sources"`
	Bytes     int64 `json:"bytes"`
}

// Stats counts documents and chunks and measures the database files on disk.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM documents),
		(SELECT count(*) FROM documents WHERE status <> 'indexed' AND status = 'failed'),
		(SELECT count(*) FROM documents WHERE status <> 'indexed' AND status = 'queued'),
		(SELECT count(*) FROM chunks),
		(SELECT count(*) FROM sources)`).Scan(&st.Documents, &st.Failed, &st.Queued, &st.Chunks, &st.Sources)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	// The index counts only the documents not indexed (migration 0017);
	// status is one of three.
	st.Indexed = st.Documents - st.Failed - st.Queued
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			st.Bytes += fi.Size()
		}
	}
	return st, nil
}

// Collection is a named group of documents with a retrieval weight.
type Collection struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Weight    float64 `json:"weight"`
	Documents int     `json:"documents"`
	CreatedAt int64   `json:"created_at"`
}

// Collections lists all collections.
func (s *Store) Collections(ctx context.Context) ([]Collection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.name, c.weight, c.created_at, (SELECT count(*) FROM documents WHERE collection_id = c.id) FROM collections c ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	defer rows.Close()
	var out []Collection
	for rows.Next() {
		var c Collection
		if err := rows.Scan(&c.ID, &c.Name, &c.Weight, &c.CreatedAt, &c.Documents); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
