// Package vault is Hoard's facade: the one door through which the CLI, the
// desktop app, the HTTP API and the MCP server reach documents, ingestion and
// search. It wires the single-job packages together:
// files → extract → chunk → store → search.
package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/chunk"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/ingest"
	"github.com/hoardvault/hoard/backend/neural"
	"github.com/hoardvault/hoard/backend/postings"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/speech"
	"github.com/hoardvault/hoard/backend/store"
)

// DBFile is the database's name inside the vault folder.
const DBFile = "hoard.db"

// VectorFile is the saved copy of the in-memory vector index, read at a
// start instead of every row (checked against the database, rebuilt when
// it does not match).
const VectorFile = "hoard.vectors"

// Options configure a vault.
type Options struct {
	Chunk   chunk.Options
	Limits  extract.Limits
	Workers int // extraction workers; 0 means one per CPU
	Logger  *slog.Logger
	// Search configures the search pipeline; nil means search.DefaultOptions.
	Search *search.Options
	// Neural chooses embedder and reranker; by default the first installed.
	Neural NeuralOptions
	// NoOCR leaves scanned pages and images unread even when tesseract is
	// installed; OCRLang is its language list (default "eng").
	NoOCR   bool
	OCRLang string
	// RetryBase is the first wait before a failed file is tried again (it
	// doubles each time); MaxAttempts is how many tries a file gets before
	// its failure is recorded. Defaults: 2 s and 6.
	RetryBase   time.Duration
	MaxAttempts int
	// ReadTimeout bounds reading one file (default 2 minutes); past it the
	// file is tried again later.
	ReadTimeout time.Duration
	// Transcription chooses the speech-to-text engine; when it names none,
	// the one stored in the vault (SetTranscription) is used.
	Transcription TranscriptionOptions
}

// Vault is an open vault.
type Vault struct {
	dir      string
	store    *store.Store
	registry *extract.Registry
	searcher *search.Searcher
	opt      Options
	log      *slog.Logger
	nn       neural.Models
	// Models load on first need (search, add, reindex, status), so
	// commands such as ls and rm do not pay for ONNX Runtime sessions.
	nnOnce sync.Once
	mu     sync.RWMutex        // guards searcher, which loading models replaces
	bin    *search.VectorIndex // the vectors' sign bits and int8 codes, in memory
	lex    *postings.Index     // the full-text postings, in memory
	fwd    *search.Forward     // every full-text row's words, numbered, kept with the postings
	// ing takes files in: the queue, its drain goroutine, the watch.
	ing   *ingest.Service
	voice *speech.Voice // speech-to-text
	// retired are runtimes whose models were replaced while searches may
	// still hold them: closed with the vault.
	retired []*infer.Runtime
	// runner is the built-in chat runner, made on first need.
	runner builtinRunner
}

// Open opens the vault in dir, creating it when needed.
func Open(ctx context.Context, dir string, opt Options) (*Vault, error) {
	if opt.Chunk.TargetTokens == 0 {
		opt.Chunk = chunk.DefaultOptions()
	}
	if opt.Limits.MaxFileBytes == 0 {
		opt.Limits = extract.DefaultLimits()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("vault %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	st, err := store.Open(ctx, filepath.Join(abs, DBFile))
	if err != nil {
		return nil, err
	}
	reg := extract.NewRegistry(opt.Limits)
	if !opt.NoOCR {
		o, err := extract.NewOCR(opt.OCRLang)
		switch {
		case err == nil:
			reg.WithOCR(o)
		case opt.OCRLang != "" && errors.Is(err, extract.ErrOCRLang):
			// Languages asked for and missing: scans would all fail.
			st.Close()
			return nil, err
		}
	}
	v := &Vault{
		dir:      abs,
		store:    st,
		registry: reg,
		opt:      opt,
		log:      opt.Logger,
		lex:      postings.New(st.SearchView(), opt.Logger),
		fwd:      search.NewForward(),
	}
	v.lex.Keep = v.fwd.Row
	v.searcher = newSearcher(v.reader(), opt.Search)
	v.bin = search.NewVectorIndex(st)
	v.voice = speech.New(speech.Config{Fixed: opt.Transcription, Settings: st, Models: v.models, ORTLib: opt.Neural.ORTLib,
		Log: opt.Logger, Missing: ErrNoTranscriber})
	v.ing = ingest.New(ingest.Config{Store: st, Registry: reg, Dir: abs, Chunk: opt.Chunk, Limits: opt.Limits, Workers: opt.Workers,
		RetryBase: opt.RetryBase, MaxAttempts: opt.MaxAttempts, ReadTimeout: opt.ReadTimeout,
		Transcriber: v.voice.Pipeline, Logger: opt.Logger, Hooks: ingest.Hooks{
			Changed: v.bin.Refresh,
			Gists:   func(ctx context.Context) error { _, err := v.updateGists(ctx); return err },
			Vectors: v.embedNew,
		}})
	if !st.ReadOnly() {
		v.bin.Sidecar = filepath.Join(abs, VectorFile)
	}
	if st.ReadOnly() {
		v.log.Info("the vault cannot be written here: it is searched, and changes are refused", "vault", abs)
	}
	return v, nil
}

// ReadOnly reports whether the vault could only be opened for reading
// (its file or folder not writable): every change fails with
// store.ErrReadOnly.
func (v *Vault) ReadOnly() bool { return v.store.ReadOnly() }

func newSearcher(r search.Reader, opt *search.Options) *search.Searcher {
	if opt == nil {
		return search.New(r)
	}
	return search.NewWithOptions(r, *opt)
}

// reader is the store's search view with the full-text postings held in
// memory, which answer plain keyword queries without FTS5.
type reader struct {
	store.SearchView
	lex *postings.Index
	fwd *search.Forward
	// view is set in a pinned reader (Pin): the postings at the stamp the
	// query read.
	view   postings.View
	pinned bool
}

func (r reader) Forward() *search.Forward { return r.fwd }

func (r reader) Kept(ctx context.Context) (func(int64) any, bool, error) {
	if r.pinned {
		lookup, ok := r.view.Kept()
		return lookup, ok, nil
	}
	return r.lex.Kept(ctx)
}

// KeptRowsStamp is the ChunkRowsStamp the pinned postings' rows were
// read under ("" unpinned: nothing to compare a query's with).
func (r reader) KeptRowsStamp() string {
	if !r.pinned {
		return ""
	}
	return r.view.RowsStamp()
}

func (r reader) Search(ctx context.Context, q postings.Query, k int) ([]store.Match, bool, error) {
	if r.pinned {
		return r.view.Search(ctx, q, k)
	}
	return r.lex.Search(ctx, q, k)
}

func (r reader) CountPhrase(ctx context.Context, phrase string) (int64, bool, error) {
	if r.pinned {
		return r.view.Count(ctx, phrase)
	}
	return r.lex.Count(ctx, phrase)
}

// Pin is the reader as one query sees it: the store's stamps read once,
// and the postings as they stood at them.
func (r reader) Pin(ctx context.Context) (search.Reader, error) {
	sv, err := r.SearchView.Pinned(ctx)
	if err != nil {
		return nil, err
	}
	stamp, err := sv.LexicalStamp(ctx) // pinned: no statement, unless the vault lacks its count
	if err != nil {
		return nil, err
	}
	r.SearchView, r.view, r.pinned = sv, r.lex.At(stamp), true
	// A change that leaves the text as it was (a collection renamed, a
	// document moved) leaves the kept rows behind: queries read the
	// store's rows until the postings are built again.
	if rows, err := sv.ChunkRowsStamp(ctx); err == nil && r.view.RowsStamp() != "" && rows != r.view.RowsStamp() {
		r.lex.RowsBehind(rows)
	}
	return r, nil
}

func (v *Vault) reader() search.Reader {
	return reader{SearchView: v.store.SearchView(), lex: v.lex, fwd: v.fwd}
}

// WarmLexical builds the in-memory full-text postings ahead of the first
// search (until then, and while they are behind the vault, FTS5 answers).
func (v *Vault) WarmLexical(ctx context.Context) error {
	start := time.Now()
	v.lex.Start()
	if err := v.lex.Wait(ctx); err != nil {
		return fmt.Errorf("full-text postings: %w", err)
	}
	st := v.LexicalStats()
	v.log.Debug("full-text postings in memory", "rows", st.Rows, "postings", st.Postings, "bytes", st.Bytes, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// LexicalStats describe the in-memory full-text postings; Bytes counts
// the vocabulary their rows' words are numbered by too.
func (v *Vault) LexicalStats() postings.Stats {
	st := v.lex.Stats()
	st.Bytes += v.fwd.Bytes()
	return st
}

// neuralReady loads the models once.
func (v *Vault) neuralReady(ctx context.Context) { v.nnOnce.Do(func() { v.loadNeural(ctx) }) }

func (v *Vault) search() *search.Searcher {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.searcher
}

// Close closes the vault, once the file being indexed in the background
// is stored or left in the queue.
func (v *Vault) Close() error {
	v.ing.Close()
	v.lex.Close()
	v.voice.Close()
	err := v.closeRunner()
	if v.nn.Runtime != nil {
		err = errors.Join(err, v.nn.Runtime.Close())
	}
	for _, rt := range v.retired {
		err = errors.Join(err, rt.Close())
	}
	return errors.Join(err, v.store.Close())
}

// Dir is the vault folder.
func (v *Vault) Dir() string { return v.dir }

// Search runs a search.
func (v *Vault) Search(ctx context.Context, req search.Request) ([]search.Hit, error) {
	v.neuralReady(ctx)
	return v.search().Search(ctx, req)
}

// Retune changes the search options (stages, weights) of an open vault,
// keeping the models it loaded: benchmarks compare configurations on one
// ingested vault.
func (v *Vault) Retune(ctx context.Context, change func(*search.Options)) {
	v.neuralReady(ctx)
	opt := v.search().Options()
	change(&opt)
	next := search.NewWithOptions(v.reader(), opt)
	v.mu.Lock()
	v.searcher = next
	v.mu.Unlock()
}

// Documents lists documents with paging.
func (v *Vault) Documents(ctx context.Context, opt store.ListOptions) ([]store.DocumentInfo, int, error) {
	return v.store.ListDocuments(ctx, opt)
}

// Document returns one document.
func (v *Vault) Document(ctx context.Context, id int64) (store.DocumentInfo, error) {
	return v.store.GetDocument(ctx, id)
}

// Chunks returns a document's chunks.
func (v *Vault) Chunks(ctx context.Context, id int64) ([]store.Chunk, error) {
	return v.store.Chunks(ctx, id)
}

// Text returns a document's extracted text and its sections (byte spans
// of the text with page and heading).
func (v *Vault) Text(ctx context.Context, id int64) (string, []store.Section, error) {
	_, text, err := v.store.DocumentText(ctx, id)
	if err != nil {
		return "", nil, err
	}
	secs, err := v.store.Sections(ctx, id)
	return text, secs, err
}

// Collections lists collections.
func (v *Vault) Collections(ctx context.Context) ([]store.Collection, error) {
	return v.store.Collections(ctx)
}

// Remove deletes documents named by id, or paths (a path removes that source,
// and its document when no other path has the same content).
func (v *Vault) Remove(ctx context.Context, refs ...string) error {
	var errs []error
	var removed []string
	for _, ref := range refs {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			d, _ := v.store.GetDocument(ctx, id)
			if err := v.store.DeleteDocument(ctx, id); err != nil {
				errs = append(errs, err)
			} else {
				removed = append(removed, d.Paths...)
			}
			continue
		}
		p := ref
		if !strings.Contains(p, "#") {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
		}
		if err := v.store.RemoveSource(ctx, p); err != nil {
			errs = append(errs, err)
		} else {
			removed = append(removed, p)
		}
	}
	v.bin.Refresh()
	v.dropUploads(ctx, removed)
	return errors.Join(errs...)
}

// UploadsDir is where the files uploaded through the API are kept: the
// vault's own copies.
func (v *Vault) UploadsDir() string { return filepath.Join(v.dir, "uploads") }

func (v *Vault) isUpload(p string) bool {
	return strings.HasPrefix(filepath.Clean(p), v.UploadsDir()+string(filepath.Separator))
}

// dropUploads deletes the uploaded files of removed sources once no
// document (a record of the same corpus, the same bytes uploaded again)
// or queued task reads them; a file elsewhere is the user's and stays.
func (v *Vault) dropUploads(ctx context.Context, sources []string) {
	for _, p := range sources {
		file := p
		if i := strings.LastIndex(p, "#"); i > 0 {
			if _, err := os.Stat(p); err != nil {
				file = p[:i] // a record of a corpus file
			}
		}
		if !v.isUpload(file) {
			continue
		}
		if used, err := v.store.FileInUse(ctx, file); err != nil || used {
			continue
		}
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			v.log.Warn("uploaded file of a removed document not deleted", "path", file, "err", err)
		}
	}
}

// Status describes the vault.
type Status struct {
	Vault string `json:"vault"`
	store.Stats
	Schema        int          `json:"schema_version"`
	SQLiteVersion string       `json:"sqlite_version"`
	VecVersion    string       `json:"vec_version"`
	Neural        NeuralStatus `json:"neural"`
	// Queue is the indexing queue: counts and its first rows.
	Queue         Queue                 `json:"queue"`
	Watched       []store.WatchedFolder `json:"watched"`
	Transcription TranscriptionStatus   `json:"transcription"`
	Chat          ChatStatus            `json:"chat"`
	// Watch is the watch running in this process (serve, the desktop app).
	Watch WatchStatus `json:"watch"`
}

// Status reports counts, size on disk and library versions.
func (v *Vault) Status(ctx context.Context) (Status, error) {
	v.neuralReady(ctx)
	st, err := v.store.Stats(ctx)
	if err != nil {
		return Status{}, err
	}
	sv, vv, err := v.store.Versions(ctx)
	if err != nil {
		return Status{}, err
	}
	schema, err := v.store.SchemaVersion(ctx)
	if err != nil {
		return Status{}, err
	}
	ns, err := v.neuralStatus(ctx)
	if err != nil {
		return Status{}, err
	}
	q, err := v.Queue(ctx, 10, 0)
	if err != nil {
		return Status{}, err
	}
	w, err := v.store.Watched(ctx)
	if err != nil {
		return Status{}, err
	}
	return Status{Vault: v.dir, Stats: st, Schema: schema, SQLiteVersion: sv, VecVersion: vv, Neural: ns, Queue: q, Watched: w,
		Transcription: v.voice.Status(ctx), Chat: v.ChatStatus(), Watch: v.WatchStatus()}, nil
}

// Check runs the database's consistency checks.
func (v *Vault) Check(ctx context.Context) error { return v.store.CheckIntegrity(ctx) }
