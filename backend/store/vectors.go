package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Vector forms a vault can keep per chunk. Search shortlists with bit
// (Hamming) and rescores with int8 or float.
const (
	FormFloat = "float" // 4 bytes a dimension
	FormInt8  = "int8"  // 1 byte a dimension
	FormBit   = "bit"   // 1 bit a dimension
)

// VectorConfig says which model made a vault's vectors and how they are kept.
type VectorConfig struct {
	Model string   `json:"model"`
	Dims  int      `json:"dims"`
	Forms []string `json:"forms"`
}

// Has reports whether a form is kept.
func (c VectorConfig) Has(form string) bool { return slices.Contains(c.Forms, form) }

// BytesPerChunk is the stored size of one chunk's vectors.
func (c VectorConfig) BytesPerChunk() int {
	n := 0
	for _, f := range c.Forms {
		switch f {
		case FormFloat:
			n += 4 * c.Dims
		case FormInt8:
			n += c.Dims
		case FormBit:
			n += (c.Dims + 7) / 8
		}
	}
	return n
}

func (c VectorConfig) validate() error {
	if c.Model == "" || c.Dims <= 0 || c.Dims%8 != 0 {
		return fmt.Errorf("vector config: need a model and a width divisible by 8 (got %q, %d)", c.Model, c.Dims)
	}
	if len(c.Forms) == 0 {
		return errors.New("vector config: no forms")
	}
	for _, f := range c.Forms {
		if f != FormFloat && f != FormInt8 && f != FormBit {
			return fmt.Errorf("vector config: unknown form %q (float, int8, bit)", f)
		}
	}
	if c.Has(FormBit) && !c.Has(FormInt8) && !c.Has(FormFloat) {
		return errors.New("vector config: bit vectors need int8 or float beside them to rescore")
	}
	return nil
}

// ErrVectorsDiffer means the vault's vectors were made by another model or
// kept in other forms: `hoard reindex --vectors` rebuilds them.
var ErrVectorsDiffer = errors.New("the vault's vectors were made with another model or form")

const settingVectors = "vectors"

// Setting reads a vault setting ("" when unset).
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting writes a vault setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Vectors returns the vault's vector configuration; ok is false when the
// vault has none yet.
func (s *Store) Vectors(ctx context.Context) (cfg VectorConfig, ok bool, err error) {
	raw, err := s.Setting(ctx, settingVectors)
	if err != nil || raw == "" {
		return cfg, false, err
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return cfg, false, fmt.Errorf("vector settings: %w", err)
	}
	return cfg, true, nil
}

// EnsureVectors makes the vector table for cfg, or checks that the existing
// one matches it (ErrVectorsDiffer otherwise).
func (s *Store) EnsureVectors(ctx context.Context, cfg VectorConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	have, ok, err := s.Vectors(ctx)
	if err != nil {
		return err
	}
	if ok {
		if have.Model != cfg.Model || have.Dims != cfg.Dims || !slices.Equal(have.Forms, cfg.Forms) {
			return fmt.Errorf("%w (vault: %s, %d dims, %v; asked: %s, %d dims, %v)", ErrVectorsDiffer,
				have.Model, have.Dims, have.Forms, cfg.Model, cfg.Dims, cfg.Forms)
		}
		return nil
	}
	return s.createVectors(ctx, cfg)
}

// ResetVectors drops every vector and starts a table for cfg.
func (s *Store) ResetVectors(ctx context.Context, cfg VectorConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	return s.createVectors(ctx, cfg)
}

// createVectors (re)creates the vec0 table. Its columns depend on the
// model's width, so this DDL lives here rather than in a numbered migration.
// The collection is the partition key, so a search in one collection reads
// only its vectors.
func (s *Store) createVectors(ctx context.Context, cfg VectorConfig) error {
	cols := []string{"collection_id integer partition key"}
	for _, f := range cfg.Forms {
		switch f {
		case FormFloat:
			cols = append(cols, fmt.Sprintf("emb_float float[%d] distance_metric=cosine", cfg.Dims))
		case FormInt8:
			cols = append(cols, fmt.Sprintf("emb_int8 int8[%d]", cfg.Dims))
		case FormBit:
			cols = append(cols, fmt.Sprintf("emb_bit bit[%d]", cfg.Dims))
		}
	}
	raw, _ := json.Marshal(cfg)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DROP TRIGGER IF EXISTS chunks_drop_vector`,
		`DROP TABLE IF EXISTS chunk_vectors`,
		`CREATE VIRTUAL TABLE chunk_vectors USING vec0(` + strings.Join(cols, ", ") + `)`,
		// A virtual table has no foreign keys: deleting a chunk deletes its vector.
		`CREATE TRIGGER chunks_drop_vector AFTER DELETE ON chunks BEGIN DELETE FROM chunk_vectors WHERE rowid = old.id; END`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create vector table: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, settingVectors, string(raw)); err != nil {
		return err
	}
	return tx.Commit()
}

// PendingChunk is a chunk without a vector, with the text to embed.
type PendingChunk struct {
	ID      int64
	Title   string
	Heading string
	Text    string
}

// PendingChunks returns up to limit chunks after the id `after` that have
// no vector yet, in id order (so a loop can page through them).
func (s *Store) PendingChunks(ctx context.Context, after int64, limit int) ([]PendingChunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, d.title, c.heading, c.text FROM chunks c
		JOIN documents d ON d.id = c.document_id
		WHERE c.id > ? AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.rowid = c.id)
		ORDER BY c.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("pending chunks: %w", err)
	}
	defer rows.Close()
	var out []PendingChunk
	for rows.Next() {
		var p PendingChunk
		if err := rows.Scan(&p.ID, &p.Title, &p.Heading, &p.Text); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// VectorCounts returns how many chunks have vectors and how many do not.
func (s *Store) VectorCounts(ctx context.Context) (done, pending int, err error) {
	if _, ok, err := s.Vectors(ctx); err != nil || !ok {
		var all int
		if err == nil {
			err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&all)
		}
		return 0, all, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM chunks c WHERE EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.rowid = c.id)),
		(SELECT count(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.rowid = c.id))`).Scan(&done, &pending)
	return done, pending, err
}

// PutVectors stores vectors (unit length, the configured width) for chunks,
// in one transaction. A chunk deleted meanwhile is skipped.
func (s *Store) PutVectors(ctx context.Context, cfg VectorConfig, ids []int64, vecs [][]float32) error {
	if len(ids) != len(vecs) {
		return fmt.Errorf("put vectors: %d ids, %d vectors", len(ids), len(vecs))
	}
	cols, vals := []string{"rowid", "collection_id"}, []string{"?", "?"}
	for _, f := range cfg.Forms {
		switch f {
		case FormFloat:
			cols, vals = append(cols, "emb_float"), append(vals, "vec_f32(?)")
		case FormInt8:
			cols, vals = append(cols, "emb_int8"), append(vals, "vec_int8(?)")
		case FormBit:
			cols, vals = append(cols, "emb_bit"), append(vals, "vec_bit(?)")
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO chunk_vectors(`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(vals, ", ")+`)`)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	defer ins.Close()
	coll, err := tx.PrepareContext(ctx, `SELECT d.collection_id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`)
	if err != nil {
		return err
	}
	defer coll.Close()
	for i, id := range ids {
		if len(vecs[i]) != cfg.Dims {
			return fmt.Errorf("put vectors: chunk %d has %d dims, the vault %d", id, len(vecs[i]), cfg.Dims)
		}
		var cid int64
		if err := coll.QueryRowContext(ctx, id).Scan(&cid); errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return err
		}
		// vec0 has no upsert for every column kind: delete, then insert.
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunk_vectors WHERE rowid = ?`, id); err != nil {
			return err
		}
		args := []any{id, cid}
		for _, f := range cfg.Forms {
			switch f {
			case FormFloat:
				args = append(args, Float32Blob(vecs[i]))
			case FormInt8:
				args = append(args, Int8Blob(vecs[i]))
			case FormBit:
				args = append(args, BitBlob(vecs[i]))
			}
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("put vectors: chunk %d: %w", id, err)
		}
	}
	return tx.Commit()
}

// Float32Blob is sqlite-vec's float32 layout (little endian).
func Float32Blob(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Int8Scale maps a unit vector's components ([-1, 1]) to int8.
const Int8Scale = 127

// Int8Blob quantizes a unit vector to int8 (component × 127, rounded).
func Int8Blob(v []float32) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		q := math.Round(float64(x) * Int8Scale)
		b[i] = byte(int8(max(-127, min(127, q))))
	}
	return b
}

// BitBlob keeps the sign of each component: bit i (least significant first
// in each byte, as sqlite-vec's vec_quantize_binary) is set when v[i] > 0.
func BitBlob(v []float32) []byte {
	b := make([]byte, (len(v)+7)/8)
	for i, x := range v {
		if x > 0 {
			b[i/8] |= 1 << (i % 8)
		}
	}
	return b
}

// PerChunk is the average stored size of a chunk's text and of its share
// of the full-text index, in bytes.
func (s *Store) PerChunk(ctx context.Context) (text, index float64, err error) {
	var chunks, textBytes, indexBytes int64
	err = s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(CAST(text AS BLOB))), 0) FROM chunks`).Scan(&chunks, &textBytes)
	if err != nil || chunks == 0 {
		return 0, 0, err
	}
	// FTS5 keeps its index in the %_data shadow table.
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(length(block)), 0) FROM chunks_fts_data`).Scan(&indexBytes); err != nil {
		return 0, 0, err
	}
	return float64(textBytes) / float64(chunks), float64(indexBytes) / float64(chunks), nil
}
