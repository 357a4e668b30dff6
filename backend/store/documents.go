package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status values of a document.
const (
	StatusQueued  = "queued"
	StatusIndexed = "indexed"
	StatusFailed  = "failed"
)

// ErrNotFound is returned when a document, source or collection does not exist.
var ErrNotFound = errors.New("not found")

// Source is where a document's bytes came from.
type Source struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	// CTime is the inode change time in unix nanoseconds (0: not known).
	// It is not exported: a copy elsewhere has its own.
	CTime int64 `json:"-"`
}

// Section is a span of a document's text with its page and heading path.
type Section struct {
	Page      int    `json:"page"`
	Heading   string `json:"heading"`
	CharStart int    `json:"char_start"`
	CharEnd   int    `json:"char_end"`
}

// EntityRef is a normalized entity name and how a chunk refers to it
// (1 defines, 2 mentions).
type EntityRef struct {
	Name string
	Kind int
}

// Chunk is a unit of retrieval.
type Chunk struct {
	ID        int64  `json:"id,omitempty"` // set when read back
	Ordinal   int    `json:"ordinal"`
	Text      string `json:"text"`
	PageStart int    `json:"page_start"`
	PageEnd   int    `json:"page_end"`
	Heading   string `json:"heading"`
	CharStart int    `json:"char_start"`
	CharEnd   int    `json:"char_end"`
	// Time is where a transcript chunk was spoken; nil for text.
	Time *Span `json:"time,omitempty"`
	// Marks are when the chunk's words are spoken (a transcript's), in text
	// order: a hit cites the moment of its first matched word.
	Marks []Mark `json:"marks,omitempty"`
	// Entities the chunk defines or mentions (the entity index); not
	// exported: an import finds them again.
	Entities []EntityRef `json:"-"`
}

// Span is a stretch of a recording in milliseconds from its start.
type Span struct {
	StartMS int64 `json:"start_ms"`
	EndMS   int64 `json:"end_ms"`
}

// Content is everything ingestion knows about one version of a document.
type Content struct {
	Hash      string
	MediaType string
	Size      int64
	MTime     int64
	Title     string
	Metadata  map[string]any
	Text      string
	// Note is shown with an indexed document that has something to say, such
	// as "no text layer; OCR needed"; it is kept in the error column.
	Note string
	// Gist and Keyphrases are the document's entry in the global memory,
	// written with it; without them a later pass writes them.
	Gist       string
	Keyphrases string
	Sections   []Section
	Chunks     []Chunk

	// Set by Pack: what the writer would otherwise work out itself.
	packed     []any       // each chunk's stored text (packText)
	dict       *dictionary // what packed used, if any (Store.Pack)
	packedGist any         // gists.gist (packGist)
	packedKeys any         // gists.keyphrases (packKeyphrases)
	rest       string      // documents.text and text_form (storedText)
	form       int
}

// Pack works out what the content's rows will hold (the chunks' packed
// text, what of the text they leave out), so that ingestion's workers do
// it in parallel and the single writer does not. Store.Pack packs the
// text smaller, with the vault's dictionary.
func (c *Content) Pack() { c.pack(nil) }

func (c *Content) pack(dict *dictionary) {
	c.packed = make([]any, len(c.Chunks))
	p := packers.Get().(*packer)
	for i, ch := range c.Chunks {
		c.packed[i] = p.packWith(ch.Text, dict)
	}
	packers.Put(p)
	c.dict = dict
	c.rest, c.form = storedText(*c)
	if c.Gist != "" {
		c.packedGist = packGist(c.Gist, c.Text)
		c.packedKeys = packKeyphrases(c.Keyphrases, c.Title, c.Text)
	}
}

// Outcome says what an indexing call did.
type Outcome int

const (
	Indexed   Outcome = iota // new or changed content was stored
	Unchanged                // the path already held this content
	Linked                   // the content was already stored under another path
)

// SourceState is the stored view of a path, used to skip unchanged files.
type SourceState struct {
	DocumentID int64
	Hash       string
	Status     string
	Size       int64
	MTime      int64
	CTime      int64
}

// The lookups ingestion makes for every file, kept prepared (stmtCache).
const (
	sourceStateQuery = `SELECT d.id, ` + docHash + `, d.status, s.size, s.mtime, s.ctime
		FROM sources s JOIN documents d ON d.id = s.document_id WHERE s.path = ?`
	indexedHashQuery = `SELECT count(*) FROM documents WHERE hash = ? AND status = 'indexed'`
)

// SourceState returns what the vault holds for path, or ErrNotFound.
func (s *Store) SourceState(ctx context.Context, path string) (SourceState, error) {
	var st SourceState
	var hash sql.NullString
	err := s.queryRow(ctx, sourceStateQuery, path).
		Scan(&st.DocumentID, &hash, &st.Status, &st.Size, &st.MTime, &st.CTime)
	if errors.Is(err, sql.ErrNoRows) {
		return st, ErrNotFound
	}
	if err != nil {
		return st, fmt.Errorf("look up %s: %w", path, err)
	}
	st.Hash = hash.String
	return st, nil
}

// Restamp records a source's size and times after its content was found
// unchanged, so the next catch-up need not read it again.
func (s *Store) Restamp(ctx context.Context, src Source) error {
	return restamp(ctx, s.db, src)
}

func restamp(ctx context.Context, db execer, src Source) error {
	_, err := db.ExecContext(ctx, `UPDATE sources SET size = ?, mtime = ?, ctime = ? WHERE path = ?`, src.Size, src.MTime, src.CTime, src.Path)
	if err != nil {
		return fmt.Errorf("restamp %s: %w", src.Path, err)
	}
	return nil
}

// HasIndexedHash reports whether content with this hash is already indexed.
func (s *Store) HasIndexedHash(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.queryRow(ctx, indexedHashQuery, storedHash(hash)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up content: %w", err)
	}
	return n > 0, nil
}

func now() int64 { return time.Now().Unix() }

// Index stores content for src in one transaction: the document, its sections,
// chunks and full-text rows appear together or not at all. Content already
// stored under another path is linked, not stored again; a path whose content
// changed has its old chunks replaced.
func (s *Store) Index(ctx context.Context, collection string, src Source, c Content) (docID int64, out Outcome, err error) {
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		docID, out, err = index(ctx, newStmtTx(tx), collection, src, c)
		return err
	})
	return docID, out, err
}

func index(ctx context.Context, tx sqlTx, collection string, src Source, c Content) (docID int64, out Outcome, err error) {
	collID, err := ensureCollection(ctx, tx, collection)
	if err != nil {
		return 0, 0, err
	}
	oldID, oldHash, _, err := docForPath(ctx, tx, src.Path)
	if err != nil {
		return 0, 0, err
	}
	sameID, sameStatus, err := docForHash(ctx, tx, c.Hash)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case sameID != 0 && sameStatus == StatusIndexed:
		docID = sameID
		out = Linked
		if oldID == sameID && oldHash == c.Hash {
			out = Unchanged
		}
	case sameID != 0:
		// The same bytes failed before; try them again in place.
		docID = sameID
		err = replaceContent(ctx, tx, docID, collID, c)
	case oldID != 0 && sourceCount(ctx, tx, oldID) == 1:
		// The only path of a document changed: update it in place so its id
		// (and anything that refers to it) survives.
		docID = oldID
		err = replaceContent(ctx, tx, docID, collID, c)
	default:
		docID, err = insertContent(ctx, tx, collID, c)
	}
	if err != nil {
		return 0, 0, err
	}
	return docID, out, attachSource(ctx, tx, docID, oldID, src)
}

// RecordFailure stores why src could not be indexed. A previously indexed
// version of the same path keeps its chunks, so nothing searchable is lost.
func (s *Store) RecordFailure(ctx context.Context, collection string, src Source, hash, mediaType, reason string) (int64, error) {
	var docID int64
	err := s.withTx(ctx, func(tx *sql.Tx) (err error) {
		docID, err = recordFailure(ctx, tx, collection, src, hash, mediaType, reason)
		return err
	})
	return docID, err
}

func recordFailure(ctx context.Context, tx sqlTx, collection string, src Source, hash, mediaType, reason string) (docID int64, err error) {
	collID, err := ensureCollection(ctx, tx, collection)
	if err != nil {
		return 0, err
	}
	oldID, _, oldStatus, err := docForPath(ctx, tx, src.Path)
	if err != nil {
		return 0, err
	}
	sameID := int64(0)
	if hash != "" {
		if sameID, _, err = docForHash(ctx, tx, hash); err != nil {
			return 0, err
		}
	}
	switch {
	case sameID != 0:
		docID = sameID
		if oldID != sameID {
			_, err = tx.ExecContext(ctx, `UPDATE documents SET status='failed', error=?, updated_at=? WHERE id=? AND status <> 'indexed'`, reason, now(), docID)
		}
	case oldID != 0 && oldStatus == StatusIndexed:
		docID = oldID
		_, err = tx.ExecContext(ctx, `UPDATE documents SET status='failed', error=?, updated_at=? WHERE id=?`,
			reason+" (the previously indexed version is kept)", now(), docID)
	case oldID != 0 && sourceCount(ctx, tx, oldID) == 1:
		docID = oldID
		_, err = tx.ExecContext(ctx, `UPDATE documents SET hash=?, media_type=?, size=?, mtime=?, status='failed', error=?, updated_at=? WHERE id=?`,
			storedHash(hash), mediaType, src.Size, src.MTime, reason, now(), docID)
	default:
		t := now()
		if docID, err = nextDocID(ctx, tx); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO documents (id, collection_id, hash, media_type, size, mtime, title, status, error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'failed', ?, ?, ?)`, docID, collID, storedHash(hash), mediaType, src.Size, src.MTime, baseName(src.Path), reason, t, t)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("record failure of %s: %w", src.Path, err)
	}
	return docID, attachSource(ctx, tx, docID, oldID, src)
}

// storedHash is a content hash as the documents table holds it (migration
// 0017): NULL for none; a hash in lowercase hex, what ingestion writes, as
// its bytes (half the size, in the table and its index); any other as it
// is. Each hash has one stored form, so lookups by it still match.
func storedHash(h string) any {
	if h == "" {
		return nil
	}
	if len(h)%2 == 0 && strings.Trim(h, "0123456789abcdef") == "" {
		if b, err := hex.DecodeString(h); err == nil {
			return b
		}
	}
	return h
}

// docHash reads documents.hash (as d) back as the text it was stored from.
const docHash = `iif(typeof(d.hash) = 'blob', lower(hex(d.hash)), d.hash)`

func (s *Store) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func ensureCollection(ctx context.Context, tx sqlTx, name string) (int64, error) {
	if name == "" {
		name = DefaultCollection
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("collection %q: %w", name, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO collections (name, created_at) VALUES (?, ?)`, name, now())
	if err != nil {
		return 0, fmt.Errorf("create collection %q: %w", name, err)
	}
	return res.LastInsertId()
}

func docForPath(ctx context.Context, tx sqlTx, path string) (id int64, hash, status string, err error) {
	var h sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT d.id, `+docHash+`, d.status FROM sources s JOIN documents d ON d.id = s.document_id WHERE s.path = ?`, path).Scan(&id, &h, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", "", nil
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("look up %s: %w", path, err)
	}
	return id, h.String, status, nil
}

func docForHash(ctx context.Context, tx sqlTx, hash string) (id int64, status string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT id, status FROM documents WHERE hash = ?`, storedHash(hash)).Scan(&id, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("look up content: %w", err)
	}
	return id, status, nil
}

func sourceCount(ctx context.Context, tx sqlTx, docID int64) int {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sources WHERE document_id = ?`, docID).Scan(&n); err != nil {
		return -1
	}
	return n
}

// attachSource points src at docID, and deletes the document it pointed at
// before when that one is left with no source.
func attachSource(ctx context.Context, tx sqlTx, docID, oldID int64, src Source) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sources (document_id, path, size, mtime, ctime, added_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(path) DO UPDATE SET document_id = excluded.document_id, size = excluded.size, mtime = excluded.mtime, ctime = excluded.ctime`,
		docID, src.Path, src.Size, src.MTime, src.CTime, now())
	if err != nil {
		return fmt.Errorf("record source %s: %w", src.Path, err)
	}
	if oldID != 0 && oldID != docID && sourceCount(ctx, tx, oldID) == 0 {
		return deleteDocument(ctx, tx, oldID)
	}
	return nil
}

func insertContent(ctx context.Context, tx sqlTx, collID int64, c Content) (int64, error) {
	meta, err := encodeMeta(c.Metadata)
	if err != nil {
		return 0, err
	}
	id, err := nextDocID(ctx, tx)
	if err != nil {
		return 0, err
	}
	t := now()
	text, form := c.storedText()
	_, err = tx.ExecContext(ctx, `INSERT INTO documents (id, collection_id, hash, media_type, size, mtime, title, metadata, status, error, text, text_form, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'indexed', ?, ?, ?, ?, ?)`, id, collID, storedHash(c.Hash), c.MediaType, c.Size, c.MTime, c.Title, meta, c.Note, text, form, t, t)
	if err != nil {
		return 0, fmt.Errorf("insert document: %w", err)
	}
	return id, insertParts(ctx, tx, id, c)
}

// nextDocID numbers a new document above every id in use and every id
// ever deleted (id_floor), so an id once handed out names one document only.
func nextDocID(ctx context.Context, tx sqlTx) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(id) FROM documents), 0),
		coalesce((SELECT hi FROM id_floor WHERE name = 'documents'), 0)) + 1`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("number a new document: %w", err)
	}
	return id, nil
}

func replaceContent(ctx context.Context, tx sqlTx, docID, collID int64, c Content) error {
	if err := deleteParts(ctx, tx, docID); err != nil {
		return err
	}
	meta, err := encodeMeta(c.Metadata)
	if err != nil {
		return err
	}
	text, form := c.storedText()
	_, err = tx.ExecContext(ctx, `UPDATE documents SET collection_id=?, hash=?, media_type=?, size=?, mtime=?, title=?, metadata=?,
		status='indexed', error=?, text=?, text_form=?, updated_at=? WHERE id=?`,
		collID, storedHash(c.Hash), c.MediaType, c.Size, c.MTime, c.Title, meta, c.Note, text, form, now(), docID)
	if err != nil {
		return fmt.Errorf("update document %d: %w", docID, err)
	}
	return insertParts(ctx, tx, docID, c)
}

func encodeMeta(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode metadata: %w", err)
	}
	return string(b), nil
}

func insertParts(ctx context.Context, tx sqlTx, docID int64, c Content) error {
	if err := saveDictionary(ctx, tx, c.dict); err != nil {
		return err
	}
	secs, first := storedSections(c.Sections, c.Text)
	for i, sec := range secs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sections (document_id, ordinal, page, heading, char_start, char_end) VALUES (?, ?, ?, ?, ?, ?)`,
			docID, first+i, sec.Page, sec.Heading, sec.CharStart, sec.CharEnd); err != nil {
			return fmt.Errorf("insert section: %w", err)
		}
	}
	var ents *entityWriter
	rows := make([]ftsChunk, 0, len(c.Chunks))
	for i, ch := range c.Chunks {
		var ts, te any
		if ch.Time != nil {
			ts, te = ch.Time.StartMS, ch.Time.EndMS
		}
		var text any
		if i < len(c.packed) {
			text = c.packed[i]
		} else {
			text = packText(ch.Text)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO chunks (document_id, ordinal, text, page_start, page_end, heading, char_start, char_end, time_start, time_end, time_marks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, docID, ch.Ordinal, text, ch.PageStart, ch.PageEnd, ch.Heading, ch.CharStart, ch.CharEnd, ts, te, EncodeMarks(ch.Marks))
		if err != nil {
			return fmt.Errorf("insert chunk: %w", err)
		}
		chunkID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		rows = append(rows, ftsChunk{id: chunkID, title: c.Title, heading: ch.Heading, body: ch.Text})
		if len(ch.Entities) == 0 {
			continue
		}
		if ents == nil {
			ents = newEntityWriter(tx)
		}
		if err := ents.write(ctx, chunkID, ch.Entities); err != nil {
			return err
		}
	}
	var g *gistRow
	if c.Gist != "" {
		g = &gistRow{docID: docID, gist: c.Gist, keyphrases: c.Keyphrases, stored: c.packedGist, storedKeys: c.packedKeys}
		if g.stored == nil {
			g.stored = packGist(c.Gist, c.Text)
		}
		if g.storedKeys == nil {
			g.storedKeys = packKeyphrases(c.Keyphrases, c.Title, c.Text)
		}
	}
	return indexLater(ctx, tx, rows, g)
}

// deleteParts removes a document's full-text rows, chunks and sections.
func deleteParts(ctx context.Context, tx sqlTx, docID int64) error {
	// Rows a batch holds back are written first, so they go too.
	if err := flushLater(ctx, tx); err != nil {
		return err
	}
	stmts := []string{
		`DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)`,
		`DELETE FROM chunks WHERE document_id = ?`,
		`DELETE FROM sections WHERE document_id = ?`,
		`DELETE FROM gists WHERE document_id = ?`, // written from the old text
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, docID); err != nil {
			return fmt.Errorf("remove old chunks of document %d: %w", docID, err)
		}
	}
	return nil
}

func deleteDocument(ctx context.Context, tx sqlTx, docID int64) error {
	if err := deleteParts(ctx, tx, docID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, docID); err != nil {
		return fmt.Errorf("delete document %d: %w", docID, err)
	}
	return nil
}

// DeleteDocument removes a document with all its sources and chunks.
func (s *Store) DeleteDocument(ctx context.Context, docID int64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM documents WHERE id = ?`, docID).Scan(&n); err != nil {
			return fmt.Errorf("delete document %d: %w", docID, err)
		}
		if n == 0 {
			return fmt.Errorf("document %d: %w", docID, ErrNotFound)
		}
		return deleteDocument(ctx, tx, docID)
	})
}

// FileInUse reports whether a document or a queued task still reads file:
// the file itself, or records in it (file#id).
func (s *Store) FileInUse(ctx context.Context, file string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM sources WHERE path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '#')
		+ (SELECT count(*) FROM queue WHERE path = ?1 AND op = 'index')`, file).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", file, err)
	}
	return n > 0, nil
}

// DocumentIDForPath resolves a source path to its document.
func (s *Store) DocumentIDForPath(ctx context.Context, path string) (int64, error) {
	st, err := s.SourceState(ctx, path)
	if err != nil {
		return 0, err
	}
	return st.DocumentID, nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[i+1:]
		}
	}
	return p
}

// entityWriter adds a chunk's entity references.
type entityWriter struct {
	tx  sqlTx
	ids map[string]int64 // names seen in this transaction
}

func newEntityWriter(tx sqlTx) *entityWriter {
	return &entityWriter{tx: tx, ids: map[string]int64{}}
}

func (w *entityWriter) id(ctx context.Context, name string) (int64, error) {
	if id, ok := w.ids[name]; ok {
		return id, nil
	}
	var id int64
	key := entityKey(name)
	err := w.tx.QueryRowContext(ctx, `SELECT id FROM entities WHERE key = ? AND name = ?`, key, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		res, err := w.tx.ExecContext(ctx, `INSERT INTO entities(name, key) VALUES (?, ?)`, name, key)
		if err != nil {
			return 0, err
		}
		id, err = res.LastInsertId()
		if err != nil {
			return 0, err
		}
	} else if err != nil {
		return 0, err
	}
	w.ids[name] = id
	return id, nil
}

func (w *entityWriter) write(ctx context.Context, chunkID int64, refs []EntityRef) error {
	for _, r := range refs {
		id, err := w.id(ctx, r.Name)
		if err != nil {
			return fmt.Errorf("entity %q: %w", r.Name, err)
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT OR IGNORE INTO entity_refs(entity_id, chunk_id, kind) VALUES (?, ?, ?)`, id, chunkID, r.Kind); err != nil {
			return fmt.Errorf("entity %q: %w", r.Name, err)
		}
	}
	return nil
}
