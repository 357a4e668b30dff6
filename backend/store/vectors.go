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
	// Int8Scale maps a component to int8 (rounded, clamped to ±127). Unit
	// vectors spread their length over many dimensions (a component's
	// typical size is 1/√dims), so the scale is set from the width:
	// components up to 8/√dims keep 127 levels, where mapping the whole of
	// [-1, 1] would leave a 384-dim vector about 6 levels each side.
	Int8Scale float64 `json:"int8_scale,omitempty"`
}

// DefaultInt8Scale is the int8 scale for unit vectors of a width.
func DefaultInt8Scale(dims int) float64 {
	return math.Round(127 / (8 / math.Sqrt(float64(dims))))
}

// Int8Factor is the int8 scale in use (the stored one, or the default for
// the width).
func (c VectorConfig) Int8Factor() float64 {
	if c.Int8Scale > 0 {
		return c.Int8Scale
	}
	return DefaultInt8Scale(c.Dims)
}

// Has reports whether a form is kept.
func (c VectorConfig) Has(form string) bool { return slices.Contains(c.Forms, form) }

// BytesPerChunk is the stored size of one chunk's vectors: each form once,
// and the sign bits twice (the vec0 index and the in-memory index's
// source), with the int8 vector's own scale.
func (c VectorConfig) BytesPerChunk() int {
	n := 0
	if c.Has(FormBit) {
		n += (c.Dims + 7) / 8
		if c.Has(FormInt8) {
			n += 8 // int8_scale, a REAL
		}
	}
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
	return s.vectorSetting(ctx, settingVectors)
}

// vectorSetting reads a vector configuration kept as JSON under key.
func (s *Store) vectorSetting(ctx context.Context, key string) (cfg VectorConfig, ok bool, err error) {
	raw, err := s.Setting(ctx, key)
	if err != nil || raw == "" {
		return cfg, false, err
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return cfg, false, fmt.Errorf("vector settings %q: %w", key, err)
	}
	return cfg, true, nil
}

// EnsureVectors makes the vector table for cfg, or checks that the existing
// one matches it (ErrVectorsDiffer otherwise).
func (s *Store) EnsureVectors(ctx context.Context, cfg VectorConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	cfg.Int8Scale = cfg.Int8Factor()
	have, ok, err := s.Vectors(ctx)
	if err != nil {
		return err
	}
	if ok {
		if have.Model != cfg.Model || have.Dims != cfg.Dims || !slices.Equal(have.Forms, cfg.Forms) || have.Int8Factor() != cfg.Int8Scale {
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
	cfg.Int8Scale = cfg.Int8Factor()
	return s.createVectors(ctx, cfg)
}

// createVectors (re)creates the vec0 table. Its columns depend on the
// model's width, so this DDL lives here rather than in a numbered migration.
// The collection is the partition key, so a search in one collection reads
// only its vectors.
func (s *Store) createVectors(ctx context.Context, cfg VectorConfig) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := createVectorsTx(ctx, tx, cfg); err != nil {
		return err
	}
	return tx.Commit()
}

// createVectorsTx is createVectors inside a transaction.
func createVectorsTx(ctx context.Context, tx *sql.Tx, cfg VectorConfig) error {
	var col string
	switch cfg.KNNForm() {
	case FormBit:
		col = fmt.Sprintf("emb_bit bit[%d]", cfg.Dims)
	case FormInt8:
		col = fmt.Sprintf("emb_int8 int8[%d]", cfg.Dims)
	default:
		col = fmt.Sprintf("emb_float float[%d] distance_metric=cosine", cfg.Dims)
	}
	raw, _ := json.Marshal(cfg)
	for _, q := range []string{
		`DROP TRIGGER IF EXISTS chunks_drop_vector`,
		`DROP TABLE IF EXISTS chunk_vectors`,
		`DELETE FROM chunk_embeddings`,
		`CREATE VIRTUAL TABLE chunk_vectors USING vec0(collection_id integer partition key, ` + col + `)`,
		// A virtual table has no foreign keys: deleting a chunk deletes its vector.
		`CREATE TRIGGER chunks_drop_vector AFTER DELETE ON chunks BEGIN DELETE FROM chunk_vectors WHERE rowid = old.id; END`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create vector table: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, settingVectors, string(raw))
	return err
}

// KNNForm is the form the vec0 table scans: bit when kept (a shortlist
// rescored from chunk_embeddings), else int8, else float.
func (c VectorConfig) KNNForm() string {
	switch {
	case c.Has(FormBit):
		return FormBit
	case c.Has(FormInt8):
		return FormInt8
	default:
		return FormFloat
	}
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
	return s.pendingChunks(ctx, "chunk_embeddings", after, limit)
}

// pendingChunks pages through the chunks without a row in table.
func (s *Store) pendingChunks(ctx context.Context, table string, after int64, limit int) ([]PendingChunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, d.title, c.heading, c.text FROM chunks c
		JOIN documents d ON d.id = c.document_id
		WHERE c.id > ? AND NOT EXISTS (SELECT 1 FROM `+table+` e WHERE e.chunk_id = c.id)
		ORDER BY c.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("pending chunks: %w", err)
	}
	defer rows.Close()
	var out []PendingChunk
	for rows.Next() {
		var p PendingChunk
		if err := rows.Scan(&p.ID, &p.Title, &p.Heading, chunkText(s.dicts, &p.Text)); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// embeddedCounts counts the chunks with and without a row in table.
func (s *Store) embeddedCounts(ctx context.Context, table string) (done, pending int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM `+table+`),
		(SELECT count(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM `+table+` e WHERE e.chunk_id = c.id))`).Scan(&done, &pending)
	return done, pending, err
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
	return s.embeddedCounts(ctx, "chunk_embeddings")
}

// PutVectors stores vectors (unit length, the configured width) for chunks,
// in one transaction. A chunk deleted meanwhile is skipped.
func (s *Store) PutVectors(ctx context.Context, cfg VectorConfig, ids []int64, vecs [][]float32) error {
	if len(ids) != len(vecs) {
		return fmt.Errorf("put vectors: %d ids, %d vectors", len(ids), len(vecs))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w, err := newVectorWriter(ctx, tx, cfg)
	if err != nil {
		return err
	}
	defer w.close()
	for i, id := range ids {
		if err := w.put(ctx, id, vecs[i]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// vectorWriter writes vectors in every form cfg keeps, inside a
// transaction, all in one write batch.
type vectorWriter struct {
	tx             *sql.Tx
	cfg            VectorConfig
	knn            string
	scale          float64
	batch          int64
	ins, emb, coll *sql.Stmt
}

func newVectorWriter(ctx context.Context, tx *sql.Tx, cfg VectorConfig) (*vectorWriter, error) {
	w := &vectorWriter{tx: tx, cfg: cfg, knn: cfg.KNNForm(), scale: cfg.Int8Factor()}
	fn := map[string]string{FormBit: "vec_bit(?)", FormInt8: "vec_int8(?)", FormFloat: "vec_f32(?)"}[w.knn]
	var err error
	if w.ins, err = tx.PrepareContext(ctx, `INSERT INTO chunk_vectors(rowid, collection_id, emb_`+w.knn+`) VALUES (?, ?, `+fn+`)`); err != nil {
		return nil, fmt.Errorf("put vectors: %w", err)
	}
	if w.emb, err = tx.PrepareContext(ctx, `INSERT OR REPLACE INTO chunk_embeddings(chunk_id, collection_id, bits, int8, int8_scale, f32, added)
		VALUES (?, ?, ?, ?, ?, ?, ?)`); err != nil {
		w.close()
		return nil, fmt.Errorf("put vectors: %w", err)
	}
	// A counter of its own, not max(added) + 1: that would hand out a
	// number again after its rows were deleted.
	if err := tx.QueryRowContext(ctx, `INSERT INTO settings(key, value) VALUES ('vector_batch', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)`).Scan(&w.batch); err != nil {
		w.close()
		return nil, fmt.Errorf("put vectors: %w", err)
	}
	if w.coll, err = tx.PrepareContext(ctx, `SELECT d.collection_id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *vectorWriter) close() {
	for _, st := range []*sql.Stmt{w.ins, w.emb, w.coll} {
		if st != nil {
			st.Close()
		}
	}
}

func (w *vectorWriter) blob(form string, v []float32) any {
	if !w.cfg.Has(form) {
		return nil
	}
	switch form {
	case FormBit:
		return BitBlob(v)
	case FormInt8:
		return Int8Blob(v, w.scale)
	default:
		return Float32Blob(v)
	}
}

// put writes one chunk's vector; a chunk that no longer exists is skipped.
func (w *vectorWriter) put(ctx context.Context, id int64, v []float32) error {
	if len(v) != w.cfg.Dims {
		return fmt.Errorf("put vectors: chunk %d has %d dims, the vault %d", id, len(v), w.cfg.Dims)
	}
	var cid int64
	if err := w.coll.QueryRowContext(ctx, id).Scan(&cid); errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	// vec0 has no upsert for every column kind: delete, then insert.
	if _, err := w.tx.ExecContext(ctx, `DELETE FROM chunk_vectors WHERE rowid = ?`, id); err != nil {
		return err
	}
	if _, err := w.ins.ExecContext(ctx, id, cid, w.blob(w.knn, v)); err != nil {
		return fmt.Errorf("put vectors: chunk %d: %w", id, err)
	}
	// The in-memory index's forms; with no bit shortlist the vec0
	// column is searched directly and is enough. The int8 form here
	// keeps its own scale (vec0's int8 column needs the shared one).
	var bits, i8, i8scale, f32 any
	if w.knn == FormBit {
		bits, f32 = w.blob(FormBit, v), w.blob(FormFloat, v)
		if w.cfg.Has(FormInt8) {
			codes, sc := QuantizeInt8(v)
			i8, i8scale = codes, sc
		}
	}
	if _, err := w.emb.ExecContext(ctx, id, cid, bits, i8, i8scale, f32, w.batch); err != nil {
		return fmt.Errorf("put vectors: chunk %d: %w", id, err)
	}
	return nil
}

// Float32s reads a Float32Blob.
func Float32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Float32Blob is sqlite-vec's float32 layout (little endian).
func Float32Blob(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Int8Blob quantizes a vector to int8: component × scale, rounded and
// clamped to ±127.
func Int8Blob(v []float32, scale float64) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		q := math.Round(float64(x) * scale)
		b[i] = byte(int8(max(-127, min(127, q))))
	}
	return b
}

// QuantizeInt8 maps a vector to int8 with its own scale: the largest
// component becomes ±127, and component ≈ code × scale.
func QuantizeInt8(v []float32) (codes []byte, scale float64) {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	if m == 0 {
		return make([]byte, len(v)), 0
	}
	scale = m / 127
	codes = make([]byte, len(v))
	for i, x := range v {
		codes[i] = byte(int8(max(-127, min(127, math.Round(float64(x)/scale)))))
	}
	return codes, scale
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

// StoredVector is one chunk's row for the in-memory index: its sign bits
// and a rescoring form (int8 codes with their scale, or float32).
type StoredVector struct {
	ID, Collection int64
	Added          int64 // the write batch (0: before batches were counted)
	Bits           []byte
	Int8           []byte
	Int8Scale      float64 // component ≈ code × Int8Scale
	F32            []byte
}

// EachVector calls fn with the sign bits and rescoring vector of every
// chunk embedded in a write batch after `after` (-1: all), in id order. The
// slices are valid only during the call.
func (s *Store) EachVector(ctx context.Context, after int64, fn func(StoredVector)) error {
	cfg, ok, err := s.Vectors(ctx)
	if err != nil || !ok {
		return err
	}
	// Rows written before per-vector scales use the vault's one scale.
	global := 1 / cfg.Int8Factor()
	where, args := `bits IS NOT NULL`, []any{}
	if after >= 0 {
		where, args = where+` AND added > ?`, append(args, after) // by the added index
	}
	rows, err := s.db.QueryContext(ctx, `SELECT chunk_id, collection_id, bits, int8, int8_scale, f32, coalesce(added, 0)
		FROM chunk_embeddings WHERE `+where+` ORDER BY chunk_id`, args...)
	if err != nil {
		return fmt.Errorf("load vectors: %w", err)
	}
	defer rows.Close()
	var v StoredVector
	var bits, i8, f32 sql.RawBytes
	for rows.Next() {
		var sc sql.NullFloat64
		if err := rows.Scan(&v.ID, &v.Collection, &bits, &i8, &sc, &f32, &v.Added); err != nil {
			return fmt.Errorf("load vectors: %w", err)
		}
		v.Bits, v.Int8, v.F32 = bits, i8, f32
		v.Int8Scale = global
		if sc.Valid {
			v.Int8Scale = sc.Float64
		}
		fn(v)
	}
	return rows.Err()
}

// VectorRows counts the embedded chunks through the added index, without
// reading the vectors. With sign bits kept (the only case the in-memory
// index serves) every row has them, so this is EachVector's full count.
func (s *Store) VectorRows(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunk_embeddings`).Scan(&n)
	return n, err
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

// NearestVectors finds, by scanning the table in SQLite, the n stored
// vectors nearest to q by cosine among the chunks with ids above afterID
// (in the collection; 0: all), and calls fn with each, rescoring form
// included (valid only during the call). It is the exact answer the
// in-memory index gives while it is still reading the rows: sqlite-vec
// scores each row in C, so the scan costs about a tenth of reading the
// rows into Go. Rows of another width are left out, as the index does.
func (s *Store) NearestVectors(ctx context.Context, q []float32, n int, collection, afterID int64, fn func(StoredVector)) error {
	cfg, ok, err := s.Vectors(ctx)
	if err != nil || !ok || n <= 0 || len(q) == 0 {
		return err
	}
	global := 1 / cfg.Int8Factor()
	codes, _ := QuantizeInt8(q) // cosine ignores the query's scale
	where, args := ``, []any{codes, Float32Blob(q), afterID, len(q), 4 * len(q)}
	if collection != 0 {
		where, args = ` AND collection_id = ?`, append(args, collection)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT chunk_id, collection_id, int8, int8_scale, f32, coalesce(added, 0)
		FROM chunk_embeddings
		WHERE bits IS NOT NULL AND chunk_id > ?3 AND (length(int8) = ?4 OR (int8 IS NULL AND length(f32) = ?5))`+where+`
		ORDER BY CASE WHEN int8 IS NOT NULL THEN vec_distance_cosine(vec_int8(int8), vec_int8(?1))
			ELSE vec_distance_cosine(vec_f32(f32), vec_f32(?2)) END
		LIMIT `+fmt.Sprint(n), args...)
	if err != nil {
		return fmt.Errorf("scan vectors: %w", err)
	}
	defer rows.Close()
	var v StoredVector
	var i8, f32 sql.RawBytes
	for rows.Next() {
		var sc sql.NullFloat64
		if err := rows.Scan(&v.ID, &v.Collection, &i8, &sc, &f32, &v.Added); err != nil {
			return fmt.Errorf("scan vectors: %w", err)
		}
		v.Int8, v.F32 = i8, f32
		v.Int8Scale = global
		if sc.Valid {
			v.Int8Scale = sc.Float64
		}
		fn(v)
	}
	return rows.Err()
}
