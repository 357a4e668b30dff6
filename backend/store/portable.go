package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Record is a document with everything needed to recreate it elsewhere:
// the unit of export and import.
type Record struct {
	Collection string         `json:"collection"`
	Hash       string         `json:"hash,omitempty"`
	MediaType  string         `json:"media_type"`
	Size       int64          `json:"size"`
	MTime      int64          `json:"mtime"`
	Title      string         `json:"title"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	Status     string         `json:"status"`
	Error      string         `json:"error,omitempty"`
	Text       string         `json:"text"`
	CreatedAt  int64          `json:"created_at"`
	UpdatedAt  int64          `json:"updated_at"`
	Sources    []Source       `json:"sources"`
	Sections   []Section      `json:"sections"`
	Chunks     []Chunk        `json:"chunks"`
}

// EachRecord calls fn for every document in id order.
func (s *Store) EachRecord(ctx context.Context, fn func(Record) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, c.name, coalesce(d.hash, ''), d.media_type, d.size, d.mtime, d.title, d.metadata,
		d.status, d.error, d.text, d.created_at, d.updated_at FROM documents d JOIN collections c ON c.id = d.collection_id ORDER BY d.id`)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Record
		var id int64
		var meta string
		if err := rows.Scan(&id, &r.Collection, &r.Hash, &r.MediaType, &r.Size, &r.MTime, &r.Title, &meta, &r.Status, &r.Error, &r.Text, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if meta != "" && meta != "{}" {
			if err := json.Unmarshal([]byte(meta), &r.Metadata); err != nil {
				return fmt.Errorf("export document %d metadata: %w", id, err)
			}
		}
		if err := s.recordParts(ctx, id, &r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) recordParts(ctx context.Context, id int64, r *Record) error {
	srows, err := s.db.QueryContext(ctx, `SELECT path, size, mtime FROM sources WHERE document_id = ? ORDER BY id`, id)
	if err != nil {
		return fmt.Errorf("export sources: %w", err)
	}
	for srows.Next() {
		var src Source
		if err := srows.Scan(&src.Path, &src.Size, &src.MTime); err != nil {
			srows.Close()
			return err
		}
		r.Sources = append(r.Sources, src)
	}
	srows.Close()
	if r.Sections, err = s.Sections(ctx, id); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	r.Chunks, err = s.Chunks(ctx, id)
	return err
}

// ImportRecord adds a record. Content already in the vault (same hash) only
// gains the record's paths; nothing stored is overwritten.
func (s *Store) ImportRecord(ctx context.Context, r Record) (added bool, err error) {
	if r.Status != StatusIndexed && r.Status != StatusFailed && r.Status != StatusQueued {
		return false, fmt.Errorf("import: document %q has unknown status %q", r.Title, r.Status)
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		var docID int64
		if r.Hash != "" {
			id, _, err := docForHash(ctx, tx, r.Hash)
			if err != nil {
				return err
			}
			docID = id
		}
		if docID == 0 {
			collID, err := ensureCollection(ctx, tx, r.Collection)
			if err != nil {
				return err
			}
			meta, err := encodeMeta(r.Metadata)
			if err != nil {
				return err
			}
			if docID, err = nextDocID(ctx, tx); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO documents (id, collection_id, hash, media_type, size, mtime, title, metadata, status, error, text, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, docID, collID, nullable(r.Hash), r.MediaType, r.Size, r.MTime, r.Title, meta, r.Status, r.Error, r.Text, r.CreatedAt, r.UpdatedAt)
			if err != nil {
				return fmt.Errorf("import document %q: %w", r.Title, err)
			}
			if err := insertParts(ctx, tx, docID, Content{Sections: r.Sections, Chunks: r.Chunks}); err != nil {
				return err
			}
			added = true
		}
		for _, src := range r.Sources {
			// A path already in this vault keeps what it has.
			if _, err := tx.ExecContext(ctx, `INSERT INTO sources (document_id, path, size, mtime, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(path) DO NOTHING`,
				docID, src.Path, src.Size, src.MTime, now()); err != nil {
				return fmt.Errorf("import source %s: %w", src.Path, err)
			}
		}
		if sourceCount(ctx, tx, docID) == 0 {
			return errors.New("import: every path of document " + r.Title + " already belongs to other content")
		}
		return nil
	})
	return added, err
}

// SetCollectionWeight creates or updates a collection (used by import).
func (s *Store) SetCollectionWeight(ctx context.Context, name string, weight float64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := ensureCollection(ctx, tx, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE collections SET weight = ? WHERE name = ?`, weight, name)
		return err
	})
}

// RemoveSource forgets one path; its document goes when no path is left.
func (s *Store) RemoveSource(ctx context.Context, path string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error { return removeSource(ctx, tx, path) })
}

func removeSource(ctx context.Context, tx *sql.Tx, path string) error {
	docID, _, _, err := docForPath(ctx, tx, path)
	if err != nil {
		return err
	}
	if docID == 0 {
		return fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE path = ?`, path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	if sourceCount(ctx, tx, docID) == 0 {
		return deleteDocument(ctx, tx, docID)
	}
	return nil
}
