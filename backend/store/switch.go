package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A change of embedding model must not cost the vault its semantic
// search: the new model's vectors are computed into a staging table while
// the old ones keep serving, and replace them in one transaction when every
// chunk has one. The staging table keeps only each vector's float32 form;
// the forms search reads are made when the switch completes. Like the vec0
// table, it lives outside the numbered migrations: it exists only while a
// switch is under way.

const settingVectorsNext = "vectors_next"

// NextVectors returns the configuration a switch under way moves to; ok is
// false when there is none.
func (s *Store) NextVectors(ctx context.Context) (cfg VectorConfig, ok bool, err error) {
	return s.vectorSetting(ctx, settingVectorsNext)
}

// BeginVectorSwitch starts (or resumes) a switch to cfg. A switch under way
// to another configuration is dropped and started again.
func (s *Store) BeginVectorSwitch(ctx context.Context, cfg VectorConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	cfg.Int8Scale = cfg.Int8Factor()
	have, ok, err := s.NextVectors(ctx)
	if err != nil {
		return err
	}
	if ok && have.Model == cfg.Model && have.Dims == cfg.Dims && slices.Equal(have.Forms, cfg.Forms) {
		return nil // resume
	}
	raw, _ := json.Marshal(cfg)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DROP TABLE IF EXISTS chunk_embeddings_next`,
		`CREATE TABLE chunk_embeddings_next (chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, f32 BLOB NOT NULL)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("begin vector switch: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, settingVectorsNext, string(raw)); err != nil {
		return err
	}
	return tx.Commit()
}

// PendingNextChunks is PendingChunks for the switch under way: chunks the
// new model has not embedded yet.
func (s *Store) PendingNextChunks(ctx context.Context, after int64, limit int) ([]PendingChunk, error) {
	return s.pendingChunks(ctx, "chunk_embeddings_next", after, limit)
}

// NextCounts is VectorCounts for the switch under way.
func (s *Store) NextCounts(ctx context.Context) (done, pending int, err error) {
	done, pending, err = s.embeddedCounts(ctx, "chunk_embeddings_next")
	if err != nil && strings.Contains(err.Error(), "no such table: chunk_embeddings_next") {
		// The switch ended (its table dropped) between the caller's reading
		// that one was under way and this count: nothing is pending.
		return 0, 0, nil
	}
	return done, pending, err
}

// PutNextVectors stores the new model's vectors for chunks (one
// transaction; a chunk deleted meanwhile is skipped).
func (s *Store) PutNextVectors(ctx context.Context, ids []int64, vecs [][]float32) error {
	cfg, ok, err := s.NextVectors(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("put next vectors: no vector switch under way")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, id := range ids {
		if len(vecs[i]) != cfg.Dims {
			return fmt.Errorf("put next vectors: chunk %d has %d dims, want %d", id, len(vecs[i]), cfg.Dims)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO chunk_embeddings_next(chunk_id, f32)
			SELECT ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?)`, id, Float32Blob(vecs[i]), id); err != nil {
			return fmt.Errorf("put next vectors: %w", err)
		}
	}
	return tx.Commit()
}

// FinishVectorSwitch replaces the vault's vectors with the switch's, in one
// transaction: afterwards the vault's vectors are all the new model's, or,
// if it fails, all the old one's. It refuses while chunks still lack a new
// vector.
func (s *Store) FinishVectorSwitch(ctx context.Context) (VectorConfig, error) {
	cfg, ok, err := s.NextVectors(ctx)
	if err != nil {
		return cfg, err
	}
	if !ok {
		return cfg, errors.New("finish vector switch: none under way")
	}
	if _, pending, err := s.NextCounts(ctx); err != nil {
		return cfg, err
	} else if pending > 0 {
		return cfg, fmt.Errorf("finish vector switch: %d chunks still lack a %s vector", pending, cfg.Model)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return cfg, err
	}
	defer tx.Rollback()
	if err := createVectorsTx(ctx, tx, cfg); err != nil {
		return cfg, err
	}
	w, err := newVectorWriter(ctx, tx, cfg)
	if err != nil {
		return cfg, err
	}
	defer w.close()
	rows, err := tx.QueryContext(ctx, `SELECT chunk_id, f32 FROM chunk_embeddings_next ORDER BY chunk_id`)
	if err != nil {
		return cfg, err
	}
	// Read them all, then write: the transaction's one connection runs one
	// statement at a time (float32 vectors: 1.5 KiB a chunk at 384 wide).
	var ids []int64
	var vecs [][]float32
	for rows.Next() {
		var id int64
		var blob []byte
		if err := rows.Scan(&id, &blob); err != nil {
			rows.Close()
			return cfg, err
		}
		ids, vecs = append(ids, id), append(vecs, Float32s(blob))
	}
	if err := rows.Close(); err != nil {
		return cfg, err
	}
	for i, id := range ids {
		if err := w.put(ctx, id, vecs[i]); err != nil {
			return cfg, err
		}
	}
	if err := dropVectorSwitch(ctx, tx); err != nil {
		return cfg, err
	}
	return cfg, tx.Commit()
}

// CancelVectorSwitch drops a switch under way (the vault keeps its vectors).
func (s *Store) CancelVectorSwitch(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := dropVectorSwitch(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// dropVectorSwitch removes a switch's staging table and setting.
func dropVectorSwitch(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS chunk_embeddings_next`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, settingVectorsNext)
	return err
}
