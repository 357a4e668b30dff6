package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// An export carries every table the vault's content lives in: documents
// with their paths, sections, chunks, time marks, gists, facts and vectors;
// collections with their weights; conversations; settings; watched
// folders. What an import rebuilds (the full-text and entity indexes) and
// this machine's work in progress (the queue, a change of model under way)
// stay behind.

// ExactString is a string that survives JSON byte for byte. Valid UTF-8 is
// written as a JSON string; anything else (a Linux file name may be any
// bytes, which JSON would turn into U+FFFD) as {"bytes": base64}.
type ExactString string

type exactBytes struct {
	Bytes []byte `json:"bytes"`
}

// MarshalJSON writes the string, or its bytes when it is not UTF-8.
func (s ExactString) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	return json.Marshal(exactBytes{Bytes: []byte(s)})
}

// UnmarshalJSON reads either form.
func (s *ExactString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var e exactBytes
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		*s = ExactString(e.Bytes)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	*s = ExactString(str)
	return nil
}

// Record is a document with everything needed to recreate it elsewhere.
// Its chunks follow it as RecordChunks (an export of version 1 held them
// in Chunks).
type Record struct {
	ID         int64          `json:"-"` // this vault's id, to read its chunks
	Collection string         `json:"collection"`
	Hash       string         `json:"hash,omitempty"`
	MediaType  string         `json:"media_type"`
	Size       int64          `json:"size"`
	MTime      int64          `json:"mtime"`
	Title      ExactString    `json:"title"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	Status     string         `json:"status"`
	Error      string         `json:"error,omitempty"`
	Text       string         `json:"text"`
	CreatedAt  int64          `json:"created_at"`
	UpdatedAt  int64          `json:"updated_at"`
	Sources    []RecordSource `json:"sources"`
	Sections   []Section      `json:"sections"`
	Chunks     []RecordChunk  `json:"chunks,omitempty"`
	Gist       *RecordGist    `json:"gist,omitempty"`
}

// RecordSource is one path of a document.
type RecordSource struct {
	Path  ExactString `json:"path"`
	Size  int64       `json:"size"`
	MTime int64       `json:"mtime"`
}

// RecordGist is a document's entry in the global memory.
type RecordGist struct {
	Gist       string `json:"gist"`
	Keyphrases string `json:"keyphrases,omitempty"`
	ByLLM      bool   `json:"by_llm,omitempty"`
	UpdatedAt  int64  `json:"updated_at"`
}

// RecordChunk is a chunk with what a model read from it and its vector.
type RecordChunk struct {
	Chunk
	Facts []RecordFact `json:"facts,omitempty"`
	// FactsModel is the model that read the chunk's facts (it may have
	// found none); empty: no model has read it.
	FactsModel string        `json:"facts_model,omitempty"`
	Vector     *RecordVector `json:"vector,omitempty"`
}

// RecordFact is an atomic statement read from a chunk.
type RecordFact struct {
	Subject  string `json:"subject"`
	Relation string `json:"relation"`
	Object   string `json:"object"`
}

// RecordVector is a chunk's vector in the forms the vault keeps, byte for
// byte: KNN is the vector index's own form when it is not the sign bits.
type RecordVector struct {
	KNN       []byte  `json:"knn,omitempty"`
	Bits      []byte  `json:"bits,omitempty"`
	Int8      []byte  `json:"int8,omitempty"`
	Int8Scale float64 `json:"int8_scale,omitempty"`
	F32       []byte  `json:"f32,omitempty"`
}

// CollectionRecord is a collection and its search weight.
type CollectionRecord struct {
	Name      string  `json:"name"`
	Weight    float64 `json:"weight"`
	CreatedAt int64   `json:"created_at,omitempty"`
}

// SettingRecord is one vault setting.
type SettingRecord struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// WatchedRecord is a watched folder.
type WatchedRecord struct {
	Path       ExactString `json:"path"`
	Collection string      `json:"collection,omitempty"`
	AddedAt    int64       `json:"added_at"`
}

// ConversationRecord is a conversation with its messages.
type ConversationRecord struct {
	Title     string          `json:"title"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
	Messages  []MessageRecord `json:"messages"`
}

// MessageRecord is one turn; Citations and Trace are JSON as stored.
type MessageRecord struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	Query     string `json:"query,omitempty"`
	Citations string `json:"citations,omitempty"`
	Trace     string `json:"trace,omitempty"`
	CreatedAt int64  `json:"created_at"`
}

// ownSettings describe this vault's own vector tables (an export carries
// the vector configuration in its header instead) and count its own
// changes (document_changes, migration 0016): an import may not set them.
var ownSettings = map[string]bool{settingVectors: true, settingVectorsNext: true, "vector_batch": true, "document_changes": true}

// EachRecord calls fn for every document in id order, without its chunks
// (EachRecordChunk reads them).
func (s *Store) EachRecord(ctx context.Context, fn func(Record) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, c.name, coalesce(`+docHash+`, ''), d.media_type, d.size, d.mtime, d.title, d.metadata,
		d.status, d.error, d.text, d.text_form, d.created_at, d.updated_at, g.gist, g.keyphrases, g.by_llm, g.updated_at
		FROM documents d JOIN collections c ON c.id = d.collection_id LEFT JOIN gists g ON g.document_id = d.id ORDER BY d.id`)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Record
		var meta, title string
		var gist, keys sql.NullString
		var gistRefs [2][]byte // the gist's and the keyphrases' references
		var byLLM sql.NullBool
		var gistAt sql.NullInt64
		var form int
		if err := rows.Scan(&r.ID, &r.Collection, &r.Hash, &r.MediaType, &r.Size, &r.MTime, &title, &meta, &r.Status, &r.Error, &r.Text, &form,
			&r.CreatedAt, &r.UpdatedAt, gistScan{&gist.String, &gistRefs[0]}, gistScan{&keys.String, &gistRefs[1]}, &byLLM, &gistAt); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if r.Text, err = wholeText(ctx, s.db, s.dicts, r.ID, r.Text, form); err != nil {
			return fmt.Errorf("export document %d: %w", r.ID, err)
		}
		r.Title = ExactString(title)
		if meta != "" && meta != "{}" {
			if err := json.Unmarshal([]byte(meta), &r.Metadata); err != nil {
				return fmt.Errorf("export document %d metadata: %w", r.ID, err)
			}
		}
		// A document with a gist has its time (NOT NULL); gistScan leaves
		// references for now.
		if gist.Valid = gistAt.Valid; gist.Valid {
			if err := unpackGistRow(&gist.String, &keys.String, gistRefs, title, r.Text); err != nil {
				return fmt.Errorf("export document %d: %w", r.ID, err)
			}
		}
		if gist.Valid {
			r.Gist = &RecordGist{Gist: gist.String, Keyphrases: keys.String, ByLLM: byLLM.Bool, UpdatedAt: gistAt.Int64}
		}
		if err := s.recordParts(ctx, &r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) recordParts(ctx context.Context, r *Record) error {
	srows, err := s.db.QueryContext(ctx, `SELECT path, size, mtime FROM sources WHERE document_id = ? ORDER BY path`, r.ID)
	if err != nil {
		return fmt.Errorf("export sources: %w", err)
	}
	for srows.Next() {
		var src RecordSource
		var p string
		if err := srows.Scan(&p, &src.Size, &src.MTime); err != nil {
			srows.Close()
			return err
		}
		src.Path = ExactString(p)
		r.Sources = append(r.Sources, src)
	}
	srows.Close()
	if r.Sections, err = s.Sections(ctx, r.ID); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// EachRecordChunk calls fn for each chunk of a document in order, with its
// facts and, when vectors is set, its vector.
func (s *Store) EachRecordChunk(ctx context.Context, docID int64, vectors bool, fn func(RecordChunk) error) error {
	chunks, err := s.Chunks(ctx, docID)
	if err != nil {
		return err
	}
	out := make([]RecordChunk, len(chunks))
	at := make(map[int64]*RecordChunk, len(chunks))
	for i := range chunks {
		out[i].Chunk = chunks[i]
		at[chunks[i].ID] = &out[i]
	}
	const ofDoc = ` IN (SELECT id FROM chunks WHERE document_id = ?)`
	err = eachRow(ctx, s.db, `SELECT chunk_id, subject, relation, object FROM facts WHERE chunk_id`+ofDoc+` ORDER BY id`, []any{docID}, func(rows *sql.Rows) error {
		var id int64
		var f RecordFact
		if err := rows.Scan(&id, &f.Subject, &f.Relation, &f.Object); err != nil {
			return err
		}
		at[id].Facts = append(at[id].Facts, f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("export facts: %w", err)
	}
	err = eachRow(ctx, s.db, `SELECT chunk_id, model FROM facts_read WHERE chunk_id`+ofDoc, []any{docID}, func(rows *sql.Rows) error {
		var id int64
		var model string
		if err := rows.Scan(&id, &model); err != nil {
			return err
		}
		at[id].FactsModel = model
		return nil
	})
	if err != nil {
		return fmt.Errorf("export facts: %w", err)
	}
	if vectors {
		if err := s.recordVectors(ctx, docID, at); err != nil {
			return fmt.Errorf("export vectors: %w", err)
		}
	}
	for i := range out {
		out[i].ID = 0 // this vault's own
		if err := fn(out[i]); err != nil {
			return err
		}
	}
	return nil
}

// recordVectors reads the vectors of a document's chunks. With sign bits
// kept, chunk_embeddings holds every form; otherwise the vector lives only
// in the vector index.
func (s *Store) recordVectors(ctx context.Context, docID int64, at map[int64]*RecordChunk) error {
	cfg, ok, err := s.Vectors(ctx)
	if err != nil || !ok {
		return err
	}
	knn := cfg.KNNForm()
	return eachRow(ctx, s.db, `SELECT chunk_id, bits, int8, coalesce(int8_scale, 0), f32 FROM chunk_embeddings
		WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ?)`, []any{docID}, func(rows *sql.Rows) error {
		var id int64
		var v RecordVector
		if err := rows.Scan(&id, &v.Bits, &v.Int8, &v.Int8Scale, &v.F32); err != nil {
			return err
		}
		if knn != FormBit {
			if err := s.db.QueryRowContext(ctx, `SELECT emb_`+knn+` FROM chunk_vectors WHERE rowid = ?`, id).Scan(&v.KNN); err != nil {
				return fmt.Errorf("chunk %d: %w", id, err)
			}
		}
		at[id].Vector = &v
		return nil
	})
}

// querier reads rows: the database, a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func eachRow(ctx context.Context, db querier, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExportCollections lists the collections with their weights.
func (s *Store) ExportCollections(ctx context.Context) ([]CollectionRecord, error) {
	var out []CollectionRecord
	err := eachRow(ctx, s.db, `SELECT name, weight, created_at FROM collections ORDER BY name`, nil, func(rows *sql.Rows) error {
		var c CollectionRecord
		if err := rows.Scan(&c.Name, &c.Weight, &c.CreatedAt); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// EachSetting calls fn for each setting but the vault's own (ownSettings).
func (s *Store) EachSetting(ctx context.Context, fn func(SettingRecord) error) error {
	return eachRow(ctx, s.db, `SELECT key, value FROM settings ORDER BY key`, nil, func(rows *sql.Rows) error {
		var r SettingRecord
		if err := rows.Scan(&r.Key, &r.Value); err != nil {
			return err
		}
		if ownSettings[r.Key] {
			return nil
		}
		return fn(r)
	})
}

// ExportWatched lists the watched folders.
func (s *Store) ExportWatched(ctx context.Context) ([]WatchedRecord, error) {
	var out []WatchedRecord
	err := eachRow(ctx, s.db, `SELECT path, collection, added_at FROM watched ORDER BY path`, nil, func(rows *sql.Rows) error {
		var w WatchedRecord
		var p string
		if err := rows.Scan(&p, &w.Collection, &w.AddedAt); err != nil {
			return err
		}
		w.Path = ExactString(p)
		out = append(out, w)
		return nil
	})
	return out, err
}

// EachConversation calls fn for every conversation, oldest first, with its
// messages.
func (s *Store) EachConversation(ctx context.Context, fn func(ConversationRecord) error) error {
	type conv struct {
		id int64
		ConversationRecord
	}
	var convs []conv
	err := eachRow(ctx, s.db, `SELECT id, title, created_at, updated_at FROM conversations ORDER BY id`, nil, func(rows *sql.Rows) error {
		var c conv
		if err := rows.Scan(&c.id, &c.Title, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return err
		}
		convs = append(convs, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("export conversations: %w", err)
	}
	for _, c := range convs {
		c.Messages = []MessageRecord{}
		err := eachRow(ctx, s.db, `SELECT role, content, query, citations, trace, created_at FROM messages WHERE conversation_id = ? ORDER BY id`,
			[]any{c.id}, func(rows *sql.Rows) error {
				var m MessageRecord
				if err := rows.Scan(&m.Role, &m.Content, &m.Query, &m.Citations, &m.Trace, &m.CreatedAt); err != nil {
					return err
				}
				c.Messages = append(c.Messages, m)
				return nil
			})
		if err != nil {
			return fmt.Errorf("export conversation %d: %w", c.id, err)
		}
		if err := fn(c.ConversationRecord); err != nil {
			return err
		}
	}
	return nil
}

// MaxCollectionWeight bounds a collection's search weight: scores are
// multiplied by it, and a weight far from 1 only breaks the ranking.
const MaxCollectionWeight = 1000

// CheckWeight refuses a weight that is not a positive, finite number up to
// MaxCollectionWeight.
func CheckWeight(w float64) error {
	if math.IsNaN(w) || math.IsInf(w, 0) || w <= 0 || w > MaxCollectionWeight {
		return fmt.Errorf("weight %g: want a number above 0 and at most %d", w, MaxCollectionWeight)
	}
	return nil
}

// Importer writes an export into the vault in one transaction: Commit
// makes all of it appear, Rollback (or any error before Commit) leaves the
// vault exactly as it was.
type Importer struct {
	tx   *sql.Tx
	norm func(string) string
	// vec writes the export's vectors; nil when there are none or they are
	// another model's (the vault's model embeds the chunks again).
	vec      *vectorWriter
	chunkIns *sql.Stmt
	ents     *entityWriter
	pack     packer
	doc      importDoc
	// Counts of what was written.
	Queued, Vectors, VectorsSkipped int
}

// importDoc is the document whose chunks are being read.
type importDoc struct {
	id, coll int64
	open     bool // chunks may follow
	skip     bool // the vault had its content: its chunks are not written
	// text and spans are the record's text and its chunks' places in it:
	// the text is then stored once (restOf), without reading it back.
	text  string
	spans []span
	// title and rows are what the full-text index gets at its end.
	title string
	rows  []ftsChunk
}

// ImportConfig says what an export brings.
type ImportConfig struct {
	// Vectors is the export's vector configuration; nil: it has none.
	Vectors *VectorConfig
	// Norm maps a fact's subject and object to the entity index's form.
	Norm func(string) string
}

// maxDims bounds a vector's width (sqlite-vec's own limit is 8192).
const maxDims = 8192

// BeginImport starts an import. The export's vectors are taken when the
// vault has none yet or the same model's in the same forms.
func (s *Store) BeginImport(ctx context.Context, cfg ImportConfig) (*Importer, error) {
	if cfg.Norm == nil {
		cfg.Norm = func(n string) string { return n }
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	im := &Importer{tx: tx, norm: cfg.Norm}
	if err := im.start(ctx, cfg.Vectors); err != nil {
		im.Rollback()
		return nil, err
	}
	return im, nil
}

func (im *Importer) start(ctx context.Context, vc *VectorConfig) error {
	var err error
	if im.chunkIns, err = im.tx.PrepareContext(ctx, `INSERT INTO chunks (document_id, ordinal, text, page_start, page_end, heading, char_start, char_end, time_start, time_end, time_marks)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	im.ents = newEntityWriter(newStmtTx(im.tx))
	if vc == nil {
		return nil
	}
	want := *vc
	if err := want.validate(); err != nil {
		return fmt.Errorf("the export's vectors: %w", err)
	}
	if want.Dims > maxDims || math.IsNaN(want.Int8Scale) || math.IsInf(want.Int8Scale, 0) || want.Int8Scale < 0 {
		return fmt.Errorf("the export's vectors: %d dims, int8 scale %g", want.Dims, want.Int8Scale)
	}
	want.Int8Scale = want.Int8Factor()
	var raw string
	err = im.tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingVectors).Scan(&raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := createVectorsTx(ctx, im.tx, want); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("import: %w", err)
	default:
		var have VectorConfig
		if err := json.Unmarshal([]byte(raw), &have); err != nil {
			return fmt.Errorf("vector settings: %w", err)
		}
		if have.Model != want.Model || have.Dims != want.Dims || fmt.Sprint(have.Forms) != fmt.Sprint(want.Forms) || have.Int8Factor() != want.Int8Scale {
			return nil // another model's: the vault's model embeds the chunks again
		}
	}
	im.vec, err = newVectorWriter(ctx, im.tx, want)
	return err
}

// Commit makes the import appear.
func (im *Importer) Commit() error {
	if err := im.endDocument(context.Background()); err != nil {
		im.Rollback()
		return err
	}
	im.close()
	if err := im.tx.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil
}

// Rollback drops everything the import wrote.
func (im *Importer) Rollback() {
	im.close()
	im.tx.Rollback()
}

func (im *Importer) close() {
	if im.chunkIns != nil {
		im.chunkIns.Close()
		im.chunkIns = nil
	}
	im.ents = nil
	if im.vec != nil {
		im.vec.close()
		im.vec = nil
	}
}

// Collection creates a collection or sets its weight. A collection kept
// keeps the earlier of the two creation times.
func (im *Importer) Collection(ctx context.Context, c CollectionRecord) error {
	if err := im.endDocument(ctx); err != nil {
		return err
	}
	name, err := collectionName(c.Name)
	if err != nil {
		return err
	}
	if err := CheckWeight(c.Weight); err != nil {
		return fmt.Errorf("collection %q: %w", name, err)
	}
	if _, err := ensureCollection(ctx, im.tx, name); err != nil {
		return err
	}
	_, err = im.tx.ExecContext(ctx, `UPDATE collections SET weight = ?, created_at = CASE WHEN ? > 0 AND ? < created_at THEN ? ELSE created_at END WHERE name = ?`,
		c.Weight, c.CreatedAt, c.CreatedAt, c.CreatedAt, name)
	return err
}

// Setting stores a setting the vault does not have yet; it reports
// whether it did.
func (im *Importer) Setting(ctx context.Context, r SettingRecord) (bool, error) {
	if err := im.endDocument(ctx); err != nil {
		return false, err
	}
	if r.Key == "" || len(r.Key) > 200 {
		return false, errors.New("a setting needs a name of 1 to 200 bytes")
	}
	if ownSettings[r.Key] {
		return false, fmt.Errorf("setting %q describes the vault's own vectors and cannot be imported", r.Key)
	}
	res, err := im.tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, r.Key, r.Value)
	if err != nil {
		return false, fmt.Errorf("setting %q: %w", r.Key, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Watched records a watched folder the vault does not watch yet.
func (im *Importer) Watched(ctx context.Context, w WatchedRecord) error {
	if err := im.endDocument(ctx); err != nil {
		return err
	}
	coll := w.Collection
	if coll != "" {
		var err error
		if coll, err = collectionName(coll); err != nil {
			return err
		}
	}
	_, err := im.tx.ExecContext(ctx, `INSERT INTO watched (path, collection, added_at) VALUES (?, ?, ?) ON CONFLICT(path) DO NOTHING`,
		string(w.Path), coll, w.AddedAt)
	return err
}

// Conversation adds a conversation with its messages.
func (im *Importer) Conversation(ctx context.Context, c ConversationRecord) error {
	if err := im.endDocument(ctx); err != nil {
		return err
	}
	res, err := im.tx.ExecContext(ctx, `INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)`, c.Title, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("conversation %q: %w", c.Title, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for i, m := range c.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Errorf("conversation %q, message %d: role %q (want user or assistant)", c.Title, i+1, m.Role)
		}
		for _, js := range []*string{&m.Citations, &m.Trace} {
			if *js == "" {
				*js = "[]"
			}
			var arr []json.RawMessage
			if err := json.Unmarshal([]byte(*js), &arr); err != nil {
				return fmt.Errorf("conversation %q, message %d: citations and trace must be JSON arrays: %w", c.Title, i+1, err)
			}
		}
		if _, err := im.tx.ExecContext(ctx, `INSERT INTO messages (conversation_id, role, content, query, citations, trace, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, m.Role, m.Content, m.Query, m.Citations, m.Trace, m.CreatedAt); err != nil {
			return fmt.Errorf("conversation %q: %w", c.Title, err)
		}
	}
	return nil
}

// check refuses a record a vault could not have written.
func (r *Record) check() error {
	if r.Status != StatusIndexed && r.Status != StatusFailed && r.Status != StatusQueued {
		return fmt.Errorf("unknown status %q", r.Status)
	}
	if r.Size < 0 {
		return fmt.Errorf("size %d is negative", r.Size)
	}
	if r.Collection != "" {
		name, err := collectionName(r.Collection)
		if err != nil {
			return err
		}
		r.Collection = name
	}
	if len(r.Sources) == 0 {
		return errors.New("no path")
	}
	for _, s := range r.Sources {
		if s.Path == "" {
			return errors.New("an empty path")
		}
		if s.Size < 0 {
			return fmt.Errorf("path %q: size %d is negative", s.Path, s.Size)
		}
	}
	for _, s := range r.Sections {
		if err := checkSpan(s.Page, s.Page, s.CharStart, s.CharEnd); err != nil {
			return fmt.Errorf("section: %w", err)
		}
	}
	return nil
}

func checkSpan(page, pageEnd, start, end int) error {
	switch {
	case page < 0 || pageEnd < 0:
		return fmt.Errorf("page %d-%d is negative", page, pageEnd)
	case start < 0 || end < start:
		return fmt.Errorf("offset %d-%d is negative or reversed", start, end)
	}
	return nil
}

func (c *RecordChunk) check() error {
	if c.Ordinal < 0 {
		return fmt.Errorf("chunk %d: negative ordinal", c.Ordinal)
	}
	if err := checkSpan(c.PageStart, c.PageEnd, c.CharStart, c.CharEnd); err != nil {
		return fmt.Errorf("chunk %d: %w", c.Ordinal, err)
	}
	if t := c.Time; t != nil && (t.StartMS < 0 || t.EndMS < t.StartMS) {
		return fmt.Errorf("chunk %d: time %d-%d ms is negative or reversed", c.Ordinal, t.StartMS, t.EndMS)
	}
	for _, m := range c.Marks {
		if m.Char < 0 || m.MS < 0 {
			return fmt.Errorf("chunk %d: time mark %d at %d ms is negative", c.Ordinal, m.Char, m.MS)
		}
	}
	return nil
}

// Document adds a document; its chunks follow with Chunk. Content already
// in the vault (same hash) only gains the record's paths, and nothing
// stored is overwritten. Its paths are marked imported: never opened until
// the user adds them. A queued document is queued, to be indexed from its
// text. It reports whether the content was new.
func (im *Importer) Document(ctx context.Context, r Record) (added bool, err error) {
	if err := im.endDocument(ctx); err != nil {
		return false, err
	}
	if err := r.check(); err != nil {
		return false, fmt.Errorf("document %q: %w", r.Title, err)
	}
	tx := im.tx
	var docID int64
	if r.Hash != "" {
		if docID, _, err = docForHash(ctx, tx, r.Hash); err != nil {
			return false, err
		}
	}
	collID, err := ensureCollection(ctx, tx, r.Collection)
	if err != nil {
		return false, err
	}
	if docID == 0 {
		meta, err := encodeMeta(r.Metadata)
		if err != nil {
			return false, err
		}
		if docID, err = nextDocID(ctx, tx); err != nil {
			return false, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO documents (id, collection_id, hash, media_type, size, mtime, title, metadata, status, error, text, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, docID, collID, storedHash(r.Hash), r.MediaType, r.Size, r.MTime, string(r.Title), meta, r.Status, r.Error, r.Text, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return false, fmt.Errorf("document %q: %w", r.Title, err)
		}
		if err := insertParts(ctx, tx, docID, Content{Text: r.Text, Sections: r.Sections}); err != nil {
			return false, err
		}
		if g := r.Gist; g != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO gists (document_id, gist, keyphrases, by_llm, updated_at) VALUES (?, ?, ?, ?, ?)`,
				docID, g.Gist, g.Keyphrases, g.ByLLM, g.UpdatedAt); err != nil {
				return false, fmt.Errorf("document %q: gist: %w", r.Title, err)
			}
			if err := indexGist(ctx, tx, docID, g.Gist, g.Keyphrases); err != nil {
				return false, fmt.Errorf("document %q: %w", r.Title, err)
			}
		}
		added = true
	}
	for _, src := range r.Sources {
		// A path already in this vault keeps what it has.
		res, err := tx.ExecContext(ctx, `INSERT INTO sources (document_id, path, size, mtime, added_at, imported) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(path) DO NOTHING`,
			docID, string(src.Path), src.Size, src.MTime, now())
		if err != nil {
			return false, fmt.Errorf("path %q: %w", src.Path, err)
		}
		if n, _ := res.RowsAffected(); n == 0 || !added || r.Status != StatusQueued {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO queue (path, op, collection, added_at, updated_at) VALUES (?, 'index', ?, ?, ?) ON CONFLICT(path) DO NOTHING`,
			string(src.Path), r.Collection, now(), now()); err != nil {
			return false, fmt.Errorf("queue %q: %w", src.Path, err)
		}
		im.Queued++
	}
	if sourceCount(ctx, tx, docID) == 0 {
		return false, fmt.Errorf("every path of document %q already belongs to other content", r.Title)
	}
	im.doc = importDoc{id: docID, coll: collID, open: true, skip: !added, text: r.Text, title: string(r.Title)}
	return added, nil
}

// Chunk adds a chunk (with its entity references, facts and vector) to the
// document Document last added.
func (im *Importer) Chunk(ctx context.Context, c RecordChunk) error {
	if !im.doc.open {
		return errors.New("a chunk before any document")
	}
	if im.doc.skip {
		return nil
	}
	if err := c.check(); err != nil {
		return err
	}
	var ts, te any
	if c.Time != nil {
		ts, te = c.Time.StartMS, c.Time.EndMS
	}
	res, err := im.chunkIns.ExecContext(ctx, im.doc.id, c.Ordinal, im.pack.pack(c.Text), c.PageStart, c.PageEnd, c.Heading, c.CharStart, c.CharEnd, ts, te, EncodeMarks(c.Marks))
	if err != nil {
		return fmt.Errorf("chunk %d: %w", c.Ordinal, err)
	}
	im.doc.spans = append(im.doc.spans, span{c.CharStart, c.CharEnd, c.Text})
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	im.doc.rows = append(im.doc.rows, ftsChunk{id: id, title: im.doc.title, heading: c.Heading, body: c.Text})
	im.ents.ids = map[string]int64{} // bounded by a chunk, not the whole import
	if err := im.ents.write(ctx, id, c.Entities); err != nil {
		return err
	}
	for _, f := range c.Facts {
		if err := im.fact(ctx, id, f); err != nil {
			return fmt.Errorf("chunk %d: %w", c.Ordinal, err)
		}
	}
	if c.FactsModel != "" {
		if _, err := im.tx.ExecContext(ctx, `INSERT INTO facts_read (chunk_id, model) VALUES (?, ?)`, id, c.FactsModel); err != nil {
			return fmt.Errorf("chunk %d: %w", c.Ordinal, err)
		}
	}
	switch {
	case c.Vector == nil:
	case im.vec == nil:
		im.VectorsSkipped++
	default:
		if err := im.vec.putRecord(ctx, id, im.doc.coll, *c.Vector); err != nil {
			return fmt.Errorf("chunk %d: %w", c.Ordinal, err)
		}
		im.Vectors++
	}
	return nil
}

func (im *Importer) fact(ctx context.Context, chunkID int64, f RecordFact) error {
	if f.Subject == "" || f.Relation == "" || f.Object == "" {
		return errors.New("a fact needs a subject, a relation and an object")
	}
	se, oe, err := im.ents.factEntities(ctx, f.Subject, f.Object, im.norm)
	if err != nil {
		return err
	}
	_, err = im.tx.ExecContext(ctx, `INSERT INTO facts (chunk_id, subject, relation, object, subject_entity, object_entity) VALUES (?, ?, ?, ?, ?, ?)`,
		chunkID, f.Subject, f.Relation, f.Object, se, oe)
	return err
}

// endDocument closes the document being read: its chunks enter the
// full-text index.
func (im *Importer) endDocument(ctx context.Context) error {
	d := im.doc
	im.doc = importDoc{}
	if !d.open || d.skip {
		return nil
	}
	if err := indexLater(ctx, im.tx, d.rows, nil); err != nil {
		return err
	}
	// The export carries the text whole: it is stored once here too.
	if err := putText(ctx, im.tx, d.id, d.text, d.spans); err != nil {
		return fmt.Errorf("document %d: %w", d.id, err)
	}
	return nil
}

// putRecord writes a vector carried by an export, byte for byte, after
// checking each form's size against the configuration.
func (w *vectorWriter) putRecord(ctx context.Context, id, coll int64, v RecordVector) error {
	d := w.cfg.Dims
	size := map[string]int{FormBit: (d + 7) / 8, FormInt8: d, FormFloat: 4 * d}
	knn := v.KNN
	var bits, i8, i8scale, f32 any
	if w.knn == FormBit {
		knn = v.Bits
		bits = v.Bits
		if w.cfg.Has(FormInt8) {
			if len(v.Int8) != d || math.IsNaN(v.Int8Scale) || math.IsInf(v.Int8Scale, 0) || v.Int8Scale < 0 {
				return fmt.Errorf("vector: int8 form of %d bytes, scale %g (want %d bytes)", len(v.Int8), v.Int8Scale, d)
			}
			i8, i8scale = v.Int8, v.Int8Scale
		}
		if w.cfg.Has(FormFloat) {
			if len(v.F32) != size[FormFloat] {
				return fmt.Errorf("vector: float form of %d bytes (want %d)", len(v.F32), size[FormFloat])
			}
			f32 = v.F32
		}
	}
	if len(knn) != size[w.knn] {
		return fmt.Errorf("vector: %s form of %d bytes (want %d)", w.knn, len(knn), size[w.knn])
	}
	fn := map[string]string{FormBit: "vec_bit(?)", FormInt8: "vec_int8(?)", FormFloat: "vec_f32(?)"}[w.knn]
	if _, err := w.tx.ExecContext(ctx, `INSERT INTO chunk_vectors(rowid, collection_id, emb_`+w.knn+`) VALUES (?, ?, `+fn+`)`, id, coll, knn); err != nil {
		return fmt.Errorf("vector: %w", err)
	}
	if _, err := w.emb.ExecContext(ctx, id, coll, bits, i8, i8scale, f32, w.batch); err != nil {
		return fmt.Errorf("vector: %w", err)
	}
	return nil
}

// SetCollectionWeight creates or updates a collection.
func (s *Store) SetCollectionWeight(ctx context.Context, name string, weight float64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := ensureCollection(ctx, tx, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE collections SET weight = ? WHERE name = ?`, weight, name)
		return err
	})
}

// TrustedPaths are a document's paths that are the user's own files, not
// paths an import named: the only ones Hoard opens.
func (s *Store) TrustedPaths(ctx context.Context, docID int64) ([]string, error) {
	var out []string
	err := eachRow(ctx, s.db, `SELECT path FROM sources WHERE document_id = ? AND imported = 0 ORDER BY path`, []any{docID}, func(rows *sql.Rows) error {
		var p string
		if err := rows.Scan(&p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("paths of document %d: %w", docID, err)
	}
	return out, nil
}

// ImportedDoc is what an import brought for a path: its document's status
// and the text to index a queued one from.
type ImportedDoc struct {
	Status   string
	Title    string
	Text     string
	Metadata map[string]any
}

// ImportedSource reports whether path came from an import (and the user has
// not added it since), with its document.
func (s *Store) ImportedSource(ctx context.Context, path string) (ImportedDoc, bool, error) {
	var d ImportedDoc
	var meta string
	var id int64
	var form int
	err := s.db.QueryRowContext(ctx, `SELECT d.id, d.status, d.title, d.text, d.text_form, d.metadata FROM sources s JOIN documents d ON d.id = s.document_id
		WHERE s.path = ? AND s.imported = 1`, path).Scan(&id, &d.Status, &d.Title, &d.Text, &form, &meta)
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	if err == nil {
		d.Text, err = wholeText(ctx, s.db, s.dicts, id, d.Text, form)
	}
	if err != nil {
		return d, false, fmt.Errorf("look up %s: %w", path, err)
	}
	if meta != "" && meta != "{}" {
		if err := json.Unmarshal([]byte(meta), &d.Metadata); err != nil {
			return d, false, fmt.Errorf("%s metadata: %w", path, err)
		}
	}
	return d, true, nil
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
