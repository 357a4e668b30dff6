package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrCollectionExists is returned when a collection's new name is taken.
var ErrCollectionExists = errors.New("a collection with that name exists")

// ErrCollectionNotEmpty is returned when deleting a collection that still
// holds documents.
var ErrCollectionNotEmpty = errors.New("the collection still holds documents (move or delete them first)")

func collectionName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", errors.New("a collection needs a name of 1 to 200 characters")
	}
	return name, nil
}

// CreateCollection adds an empty collection.
func (s *Store) CreateCollection(ctx context.Context, name string, weight float64) (Collection, error) {
	name, err := collectionName(name)
	if err != nil {
		return Collection{}, err
	}
	if weight <= 0 {
		weight = 1
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO collections (name, weight, created_at) VALUES (?, ?, ?)`, name, weight, now())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return Collection{}, fmt.Errorf("%q: %w", name, ErrCollectionExists)
		}
		return Collection{}, fmt.Errorf("create collection: %w", err)
	}
	return s.Collection(ctx, name)
}

// Collection returns one collection by name.
func (s *Store) Collection(ctx context.Context, name string) (Collection, error) {
	var c Collection
	err := s.db.QueryRowContext(ctx, `SELECT c.id, c.name, c.weight, c.created_at, (SELECT count(*) FROM documents WHERE collection_id = c.id)
		FROM collections c WHERE c.name = ?`, name).Scan(&c.ID, &c.Name, &c.Weight, &c.CreatedAt, &c.Documents)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("collection %q: %w", name, ErrNotFound)
	}
	return c, err
}

// UpdateCollection renames a collection and sets its weight (0 keeps it).
// The watched folders and queued files that name it follow the rename.
func (s *Store) UpdateCollection(ctx context.Context, name, newName string, weight float64) (Collection, error) {
	if newName == "" {
		newName = name
	}
	newName, err := collectionName(newName)
	if err != nil {
		return Collection{}, err
	}
	if weight < 0 {
		return Collection{}, errors.New("a collection's weight must be positive")
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, name).Scan(&id); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("collection %q: %w", name, ErrNotFound)
		} else if err != nil {
			return err
		}
		if newName != name {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM collections WHERE name = ?`, newName).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%q: %w", newName, ErrCollectionExists)
			}
			for _, q := range []string{
				`UPDATE collections SET name = ? WHERE name = ?`,
				`UPDATE watched SET collection = ? WHERE collection = ?`,
				`UPDATE queue SET collection = ? WHERE collection = ?`,
			} {
				if _, err := tx.ExecContext(ctx, q, newName, name); err != nil {
					return fmt.Errorf("rename collection: %w", err)
				}
			}
		}
		if weight > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE collections SET weight = ? WHERE id = ?`, weight, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Collection{}, err
	}
	return s.Collection(ctx, newName)
}

// DeleteCollection removes an empty collection; the default one stays.
func (s *Store) DeleteCollection(ctx context.Context, name string) error {
	if name == DefaultCollection {
		return errors.New("the default collection cannot be deleted")
	}
	c, err := s.Collection(ctx, name)
	if err != nil {
		return err
	}
	if c.Documents > 0 {
		return fmt.Errorf("%q: %w", name, ErrCollectionNotEmpty)
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM collections WHERE id = ?`, c.ID)
	return err
}

// MoveDocument puts a document in another collection (made when new). Its
// vectors move with it: the vector table is partitioned by collection, so
// their rows are written again under the new partition from the stored
// embeddings, in the same transaction.
func (s *Store) MoveDocument(ctx context.Context, docID int64, collection string) error {
	cfg, hasVectors, err := s.Vectors(ctx)
	if err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		cid, err := ensureCollection(ctx, tx, collection)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE documents SET collection_id = ?, updated_at = ? WHERE id = ?`, cid, now(), docID)
		if err != nil {
			return fmt.Errorf("move document: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("document %d: %w", docID, ErrNotFound) // rolls back a collection made for it
		}
		if !hasVectors {
			return nil
		}
		knn := cfg.KNNForm()
		col := map[string]string{FormBit: "bits", FormInt8: "int8", FormFloat: "f32"}[knn]
		fn := map[string]string{FormBit: "vec_bit", FormInt8: "vec_int8", FormFloat: "vec_f32"}[knn]
		chunks := `(SELECT id FROM chunks WHERE document_id = ?)`
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`UPDATE chunk_embeddings SET collection_id = ? WHERE chunk_id IN ` + chunks, []any{cid, docID}},
			{`DELETE FROM chunk_vectors WHERE rowid IN ` + chunks, []any{docID}},
			{`INSERT INTO chunk_vectors(rowid, collection_id, emb_` + knn + `) SELECT chunk_id, ?, ` + fn + `(` + col + `) FROM chunk_embeddings WHERE chunk_id IN ` + chunks, []any{cid, docID}},
		} {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("move document vectors: %w", err)
			}
		}
		return nil
	})
}
