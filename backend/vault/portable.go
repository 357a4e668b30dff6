package vault

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/store"
)

// exportFormat names the export file's format; exportVersion changes when a
// reader of an older version could not read it. Version 2 carries
// everything (settings, watched folders, gists, facts, vectors,
// conversations), writes each chunk on its own line and ends with an end
// record; version 1 (documents with their chunks inline, and collections)
// is still read.
const (
	exportFormat  = "hoard-export"
	exportVersion = 2
)

type exportHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Schema     int       `json:"schema_version"`
	ExportedAt time.Time `json:"exported_at"`
	Documents  int       `json:"documents"`
	// Vectors names the model the chunks' vectors were made with; absent
	// when the export carries none.
	Vectors *store.VectorConfig `json:"vectors,omitempty"`
}

// exportLine is one record: exactly one of its fields is set.
type exportLine struct {
	Collection   *store.CollectionRecord   `json:"collection,omitempty"`
	Setting      *store.SettingRecord      `json:"setting,omitempty"`
	Watched      *store.WatchedRecord      `json:"watched,omitempty"`
	Document     *store.Record             `json:"document,omitempty"`
	Chunk        *store.RecordChunk        `json:"chunk,omitempty"`
	Conversation *store.ConversationRecord `json:"conversation,omitempty"`
	End          *exportEnd                `json:"end,omitempty"`
}

// exportEnd closes a version 2 export, so a file cut at a line boundary
// is told from a whole one.
type exportEnd struct {
	Records int `json:"records"` // the lines between the header and this one
}

// ExportOptions choose what an export leaves out.
type ExportOptions struct {
	// NoVectors leaves the vectors out (a vault importing it embeds the
	// chunks again); by default they travel, tagged with their model.
	NoVectors bool
	// WithSecrets keeps API keys and tokens in the settings.
	WithSecrets bool
}

// Export writes the whole vault to one gzip-compressed JSON-lines file.
// The file is written beside its destination and renamed into place, so an
// interrupted export never leaves a half file under the name.
func (v *Vault) Export(ctx context.Context, file string) (int, error) {
	return v.ExportWith(ctx, file, ExportOptions{})
}

// ExportWith is Export with options.
func (v *Vault) ExportWith(ctx context.Context, file string, opt ExportOptions) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".hoard-export-*")
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := v.WriteExportWith(ctx, tmp, opt)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// WriteExport writes the export to w (Export writes it to a file).
func (v *Vault) WriteExport(ctx context.Context, w io.Writer) (int, error) {
	return v.WriteExportWith(ctx, w, ExportOptions{})
}

// WriteExportWith is WriteExport with options; it returns the number of
// documents written.
func (v *Vault) WriteExportWith(ctx context.Context, w io.Writer, opt ExportOptions) (int, error) {
	st, err := v.store.Stats(ctx)
	if err != nil {
		return 0, err
	}
	h := exportHeader{Format: exportFormat, Version: exportVersion, ExportedAt: time.Now().UTC(), Documents: st.Documents}
	if h.Schema, err = v.store.SchemaVersion(ctx); err != nil {
		return 0, err
	}
	if !opt.NoVectors {
		cfg, ok, err := v.store.Vectors(ctx)
		if err != nil {
			return 0, err
		}
		if ok {
			h.Vectors = &cfg
		}
	}
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return 0, err
	}
	records := 0
	put := func(l exportLine) error {
		records++
		return enc.Encode(l)
	}
	colls, err := v.store.ExportCollections(ctx)
	if err != nil {
		return 0, err
	}
	for i := range colls {
		if err := put(exportLine{Collection: &colls[i]}); err != nil {
			return 0, err
		}
	}
	err = v.store.EachSetting(ctx, func(s store.SettingRecord) error {
		if !opt.WithSecrets {
			s.Value = withoutSecrets(s.Value)
		}
		return put(exportLine{Setting: &s})
	})
	if err != nil {
		return 0, err
	}
	watched, err := v.store.ExportWatched(ctx)
	if err != nil {
		return 0, err
	}
	for i := range watched {
		if err := put(exportLine{Watched: &watched[i]}); err != nil {
			return 0, err
		}
	}
	n := 0
	err = v.store.EachRecord(ctx, func(r store.Record) error {
		n++
		if err := put(exportLine{Document: &r}); err != nil {
			return err
		}
		return v.store.EachRecordChunk(ctx, r.ID, h.Vectors != nil, func(c store.RecordChunk) error {
			return put(exportLine{Chunk: &c})
		})
	})
	if err != nil {
		return 0, err
	}
	err = v.store.EachConversation(ctx, func(c store.ConversationRecord) error {
		return put(exportLine{Conversation: &c})
	})
	if err != nil {
		return 0, err
	}
	if err := enc.Encode(exportLine{End: &exportEnd{Records: records}}); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return n, zw.Close()
}

// withoutSecrets drops the fields of a JSON object setting that hold a
// secret (an API key, a token, a password); any other value is kept.
func withoutSecrets(value string) string {
	var m map[string]json.RawMessage
	if !strings.HasPrefix(strings.TrimSpace(value), "{") || json.Unmarshal([]byte(value), &m) != nil {
		return value
	}
	dropped := false
	for k := range m {
		if secretField(k) {
			delete(m, k)
			dropped = true
		}
	}
	if !dropped {
		return value
	}
	b, err := json.Marshal(m)
	if err != nil {
		return value
	}
	return string(b)
}

func secretField(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "api_key", "apikey", "key", "token", "access_token", "secret", "password":
		return true
	}
	return strings.HasSuffix(n, "_api_key") || strings.HasSuffix(n, "_token") || strings.HasSuffix(n, "_secret") || strings.HasSuffix(n, "_password")
}

// ImportLimits bound what an import may read, so a crafted file fails with
// a clear error instead of exhausting memory. Zero fields take defaults.
type ImportLimits struct {
	// MaxBytes caps the unpacked size of the whole file (default 64 GiB).
	MaxBytes int64
	// MaxRecords caps the number of records (default 100 million).
	MaxRecords int
	// MaxRecordBytes caps one record, one line of the file (default 128
	// MiB: a document's text may be up to 64 MiB, and JSON escapes it).
	MaxRecordBytes int
	// MaxRecordValues caps the JSON values in one record (default 1
	// million): decoded, a small value can take a hundred times its size.
	MaxRecordValues int
}

func (l ImportLimits) withDefaults() ImportLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 30
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = 100_000_000
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = 128 << 20
	}
	if l.MaxRecordValues <= 0 {
		l.MaxRecordValues = 1 << 20
	}
	return l
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Watched resumes the export's watched folders here. Off by default:
	// a watched folder is read, and an export's paths are not the user's
	// until they say so.
	Watched bool
	Limits  ImportLimits
}

// ImportResult counts what an import did.
type ImportResult struct {
	Added    int `json:"added"`
	Existing int `json:"existing"` // content the vault already had
	// Queued documents wait in the queue, indexed from the text the export
	// carries by the next drain.
	Queued        int `json:"queued,omitempty"`
	Conversations int `json:"conversations,omitempty"`
	Settings      int `json:"settings,omitempty"` // set here (the vault's own are kept)
	Watched       int `json:"watched,omitempty"`
	// WatchedSkipped are the export's watched folders not resumed (see
	// ImportOptions.Watched).
	WatchedSkipped int `json:"watched_skipped,omitempty"`
	Vectors        int `json:"vectors,omitempty"`
	// VectorsSkipped were another model's: the vault's model makes them
	// again.
	VectorsSkipped int `json:"vectors_skipped,omitempty"`
}

// Import reads an export file into this vault.
func (v *Vault) Import(ctx context.Context, file string) (ImportResult, error) {
	return v.ImportWith(ctx, file, ImportOptions{})
}

// ImportWith is Import with options.
func (v *Vault) ImportWith(ctx context.Context, file string, opt ImportOptions) (ImportResult, error) {
	f, err := os.Open(file)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	res, err := v.ImportFrom(ctx, f, opt)
	if err != nil {
		return res, fmt.Errorf("import %s: %w", file, err)
	}
	return res, nil
}

// errNotExport is what a file that is not an export gets.
var errNotExport = errors.New("not a Hoard export")

// ImportFrom reads an export from r in one transaction: all of it goes in,
// or, on any error, nothing does. The file is streamed a record at a time
// within opt.Limits. Content the vault already has keeps what is stored.
func (v *Vault) ImportFrom(ctx context.Context, r io.Reader, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	lim := opt.Limits.withDefaults()
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return res, fmt.Errorf("%w (%v)", errNotExport, err)
	}
	rd := &recordReader{r: bufio.NewReaderSize(&cappedReader{r: zr, left: lim.MaxBytes, max: lim.MaxBytes}, 64<<10), lim: lim}
	line, err := rd.next()
	if err != nil {
		return res, fmt.Errorf("%w (%v)", errNotExport, err)
	}
	var h exportHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Format != exportFormat {
		return res, errNotExport
	}
	if h.Version > exportVersion {
		return res, fmt.Errorf("export format %d is newer than this hoard understands (%d)", h.Version, exportVersion)
	}
	if h.Version < 1 {
		return res, fmt.Errorf("export format %d: %w", h.Version, errNotExport)
	}
	im, err := v.store.BeginImport(ctx, store.ImportConfig{Vectors: h.Vectors, Norm: entity.Norm})
	if err != nil {
		return res, err
	}
	run := &importRun{v: v, im: im, opt: opt, res: &res}
	if err := run.records(ctx, rd, h.Version); err != nil {
		im.Rollback()
		return ImportResult{}, err
	}
	if err := im.Commit(); err != nil {
		return ImportResult{}, err
	}
	res.Queued, res.Vectors, res.VectorsSkipped = im.Queued, im.Vectors, im.VectorsSkipped
	v.bin.Refresh()
	if res.Watched > 0 {
		v.kickWatch()
	}
	if res.Vectors > 0 && v.nn.Embedder != nil {
		v.applyNeural(ctx) // the vault's first vectors may serve now
	}
	// An older export's documents, and a failed one's, have no gist yet.
	if _, err := v.updateGists(ctx); err != nil {
		return res, fmt.Errorf("imported, but the global memory is incomplete: %w", err)
	}
	return res, nil
}

// importRun is one import under way.
type importRun struct {
	v     *Vault
	im    *store.Importer
	opt   ImportOptions
	res   *ImportResult
	title string // of the document the chunks being read belong to
}

// records feeds every record after the header to the importer.
func (run *importRun) records(ctx context.Context, rd *recordReader, version int) error {
	for {
		raw, err := rd.next()
		if errors.Is(err, io.EOF) {
			if version >= 2 {
				return fmt.Errorf("the file is truncated after record %d (no end record)", rd.n)
			}
			return nil
		}
		if err != nil {
			return err // it names the record
		}
		var line exportLine
		if err := json.Unmarshal(raw, &line); err != nil {
			return fmt.Errorf("record %d: %w", rd.n, err)
		}
		if line.End != nil {
			if line.End.Records != rd.n-1 {
				return fmt.Errorf("record %d: the end record counts %d records, the file has %d", rd.n, line.End.Records, rd.n-1)
			}
			if _, err := rd.next(); !errors.Is(err, io.EOF) {
				return fmt.Errorf("record %d: something follows the end record", rd.n)
			}
			return nil
		}
		if err := run.line(ctx, line); err != nil {
			return fmt.Errorf("record %d: %w", rd.n, err)
		}
	}
}

func (run *importRun) line(ctx context.Context, line exportLine) error {
	im, res := run.im, run.res
	switch {
	case line.Collection != nil:
		return im.Collection(ctx, *line.Collection)
	case line.Setting != nil:
		if err := checkSetting(*line.Setting); err != nil {
			return err
		}
		set, err := im.Setting(ctx, *line.Setting)
		if set {
			res.Settings++
		}
		return err
	case line.Watched != nil:
		if !filepath.IsAbs(string(line.Watched.Path)) {
			return fmt.Errorf("watched folder %q: not an absolute path", line.Watched.Path)
		}
		if !run.opt.Watched {
			res.WatchedSkipped++
			return nil
		}
		res.Watched++
		return im.Watched(ctx, *line.Watched)
	case line.Document != nil:
		rec := line.Document
		added, err := im.Document(ctx, *rec)
		if err != nil {
			return err
		}
		if added {
			res.Added++
		} else {
			res.Existing++
		}
		run.title = string(rec.Title)
		for i := range rec.Chunks { // version 1: the chunks inline
			if err := run.chunk(ctx, &rec.Chunks[i]); err != nil {
				return err
			}
		}
		return nil
	case line.Chunk != nil:
		return run.chunk(ctx, line.Chunk)
	case line.Conversation != nil:
		res.Conversations++
		return im.Conversation(ctx, *line.Conversation)
	}
	return errors.New("not a record Hoard knows")
}

// importChunk finds the chunk's entities again (the entity index is not
// exported) and adds it.
func (run *importRun) chunk(ctx context.Context, ch *store.RecordChunk) error {
	ch.Entities = entityRefs(run.title, strings.Split(ch.Heading, " > "), ch.Text)
	return run.im.Chunk(ctx, *ch)
}

// checkSetting refuses the settings Hoard reads that it could not have
// written.
func checkSetting(s store.SettingRecord) error {
	switch s.Key {
	case llmKey:
		var l LLMSettings
		if err := json.Unmarshal([]byte(s.Value), &l); err != nil {
			return fmt.Errorf("setting %s: %w", s.Key, err)
		}
		return l.check()
	case transcriptionKey:
		var t TranscriptionOptions
		if err := json.Unmarshal([]byte(s.Value), &t); err != nil {
			return fmt.Errorf("setting %s: %w", s.Key, err)
		}
		return checkServerURL("transcription server", t.URL)
	}
	return nil
}

// recordReader reads an export's lines within the limits; n counts the
// records read after the header.
type recordReader struct {
	r   *bufio.Reader
	lim ImportLimits
	buf []byte
	n   int // the current record's number (the header is 0)
	hdr bool
}

// next returns the next line (valid until the following call).
func (rd *recordReader) next() ([]byte, error) {
	if rd.hdr {
		rd.n++
		if rd.n > rd.lim.MaxRecords {
			return nil, fmt.Errorf("more than %d records", rd.lim.MaxRecords)
		}
	}
	rd.hdr = true
	rd.buf = rd.buf[:0]
	for {
		part, err := rd.r.ReadSlice('\n')
		if len(rd.buf)+len(part) > rd.lim.MaxRecordBytes {
			return nil, fmt.Errorf("record %d is over %s", rd.n, sizeOf(rd.lim.MaxRecordBytes))
		}
		if need := len(rd.buf) + len(part); need > cap(rd.buf) {
			// Doubling: append's gentler growth for large slices would
			// allocate about five times a long line on the way.
			grown := make([]byte, len(rd.buf), max(need, 2*cap(rd.buf)))
			copy(grown, rd.buf)
			rd.buf = grown
		}
		rd.buf = append(rd.buf, part...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("the file is truncated in record %d", rd.n)
		}
		if errors.Is(err, io.EOF) && len(rd.buf) == 0 {
			return nil, err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("record %d: %w", rd.n, err)
		}
		line := bytes.TrimSpace(rd.buf)
		if len(line) == 0 {
			if err != nil {
				return nil, err
			}
			continue // a blank line
		}
		if n := jsonValues(line); n > rd.lim.MaxRecordValues {
			return nil, fmt.Errorf("record %d holds more than %d values", rd.n, rd.lim.MaxRecordValues)
		}
		return line, nil
	}
}

// jsonValues counts (from above) the values in a JSON text: every value
// but the first follows a comma or opens an array or object.
func jsonValues(b []byte) int {
	n, inString, escaped := 1, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ',' || c == '[' || c == '{':
			n++
		}
	}
	return n
}

func sizeOf(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// cappedReader fails once more than max bytes have been read.
type cappedReader struct {
	r         io.Reader
	left, max int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("the file unpacks to more than %s", sizeOf64(c.max))
	}
	if int64(len(p)) > c.left {
		p = p[:c.left+1] // one byte past says it goes on
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("the file unpacks to more than %s", sizeOf64(c.max))
	}
	return n, err
}

func sizeOf64(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return sizeOf(int(n))
}
