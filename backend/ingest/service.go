// Package ingest takes files into the vault: it walks files and folders
// into the indexing queue, works the queue (read, extract, chunk, store in
// batches) on one drain goroutine, and follows the watched folders. What
// the vault derives from the stored text afterwards (gists, vectors, the
// in-memory vector index) it leaves to hooks.
package ingest

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/chunk"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/ignore"
	"github.com/hoardvault/hoard/backend/store"
)

// Store is what ingestion needs of the vault's database; *store.Store has it.
type Store interface {
	// The queue.
	Enqueue(ctx context.Context, tasks []store.Task) error
	Claim(ctx context.Context, t time.Time, limit int) ([]store.QueueItem, error)
	Requeue(ctx context.Context) (int, error)
	Release(ctx context.Context) (int, error)
	QueueStats(ctx context.Context) (store.QueueStats, error)
	QueueItems(ctx context.Context, limit, offset int) ([]store.QueueItem, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	queueWriter
	// The sources and their documents.
	BeginBatch(ctx context.Context) (*store.Batch, error)
	Pack(c *store.Content) // on a worker: what the writer stores
	SourceState(ctx context.Context, path string) (store.SourceState, error)
	HasIndexedHash(ctx context.Context, hash string) (bool, error)
	ImportedSource(ctx context.Context, path string) (store.ImportedDoc, bool, error)
	EachSourceUnder(ctx context.Context, dir string, fn func(path string, st store.Stamp) error) error
	RemoveSource(ctx context.Context, path string) error
	RemoveUnder(ctx context.Context, dir string) (int, error)
	Reclaim(ctx context.Context) error
	// The watched folders.
	Watched(ctx context.Context) ([]store.WatchedFolder, error)
	AddWatched(ctx context.Context, path, collection string) error
	RemoveWatched(ctx context.Context, path string) error
	// Touch tells the vault's listeners of a change (a file's stage).
	Touch()
	ReadOnly() bool
}

// Config is what a Service works with.
type Config struct {
	Store    Store
	Registry *extract.Registry
	// Dir is the vault's own folder: never walked, never watched.
	Dir     string
	Chunk   chunk.Options
	Limits  extract.Limits
	Workers int // extraction workers; 0 means one per CPU
	// RetryBase is the first wait before a failed file is tried again (it
	// doubles each time); MaxAttempts is how many tries a file gets before
	// its failure is recorded. Defaults: 2 s and 6.
	RetryBase   time.Duration
	MaxAttempts int
	// ReadTimeout bounds reading one file (default 2 minutes).
	ReadTimeout time.Duration
	// Transcriber gives the speech-to-text pipeline in force, or nil and
	// why the configured engine cannot run (nil, nil: none is configured).
	// Without it recordings wait in the queue.
	Transcriber func() (*audio.Transcriber, error)
	Hooks       Hooks
	Logger      *slog.Logger
}

// Hooks run, in this order, after a pass over the queue that changed the
// vault; each one left nil does nothing.
type Hooks struct {
	// Changed: documents came or went (the in-memory vector index reloads).
	Changed func()
	// Gists writes the gists that new documents lack.
	Gists func(ctx context.Context) error
	// Vectors embeds the chunks that have no vector yet, and says how many.
	Vectors func(ctx context.Context, progress func(EmbedProgress)) (int, error)
}

// Service is ingestion over one vault.
type Service struct {
	cfg Config
	st  Store
	log *slog.Logger
	act activity
	// sem lets one pass work the queue at a time: the drain goroutine's, a
	// foreground Drain's or Add's, or a Hold.
	sem chan struct{}
	// The drain goroutine runs from the first Kick until Close.
	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex // guards running, begun, listeners
	// running: the drain goroutine was started; begun counts its passes.
	running   bool
	begun     uint64
	listeners []*Listener
	// rules are the ignore rules of the watched folders, by folder.
	rulesMu sync.Mutex
	rules   map[string]*ignore.Rules
	// watchKick wakes a running Watch when the watched folders change.
	watchKick chan struct{}
	watchMu   sync.Mutex
	watchSt   WatchStatus
}

// New makes the service; nothing runs until Kick (or Watch).
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limits.MaxFileBytes == 0 {
		cfg.Limits = extract.DefaultLimits()
	}
	if cfg.Chunk.TargetTokens == 0 {
		cfg.Chunk = chunk.DefaultOptions()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{cfg: cfg, st: cfg.Store, log: cfg.Logger, sem: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1), watchKick: make(chan struct{}, 1)}
	s.act.touch = cfg.Store.Touch
	return s
}

// Close stops the drain goroutine and returns once it has: the file being
// stored is committed or rolled back, its queue row left for the next run.
func (s *Service) Close() {
	s.cancel()
	s.mu.Lock() // a Kick that saw the service open has counted its goroutine
	s.mu.Unlock()
	s.wg.Wait()
}

// Kick has the drain goroutine (started on the first call) look at the
// queue. It returns the number of the first pass certain to see what was
// queued before the call.
func (s *Service) Kick() uint64 {
	s.mu.Lock()
	if !s.running && s.ctx.Err() == nil {
		s.running = true
		s.wg.Add(1)
		go s.drainLoop()
	}
	n := s.begun + 1
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // one is pending: that pass starts after this call
	}
	return n
}

// Pass is what one pass of the drain goroutine did.
type Pass struct {
	N   uint64 // passes are numbered from 1 in the order they begin
	Sum Summary
	Err error
}

// Listener hears about the drain goroutine's work (not a foreground
// Drain's). Its functions run on that goroutine and must not wait long.
type Listener struct {
	Progress func(Progress)
	Drained  func(Pass)
}

// Listen adds l until stop is called.
func (s *Service) Listen(l Listener) (stop func()) {
	p := &l
	s.mu.Lock()
	s.listeners = append(s.listeners[:len(s.listeners):len(s.listeners)], p)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		kept := make([]*Listener, 0, len(s.listeners))
		for _, q := range s.listeners {
			if q != p {
				kept = append(kept, q)
			}
		}
		s.listeners = kept
	}
}

func (s *Service) heard() []*Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listeners
}

// drainLoop is the drain goroutine: a pass on every kick, and when the
// next retry falls due.
func (s *Service) drainLoop() {
	defer s.wg.Done()
	due := time.NewTimer(time.Hour)
	defer due.Stop()
	progress := func(p Progress) {
		for _, l := range s.heard() {
			if l.Progress != nil {
				l.Progress(p)
			}
		}
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		case <-due.C:
		}
		s.mu.Lock()
		s.begun++
		n := s.begun
		s.mu.Unlock()
		sum, err := s.Drain(s.ctx, AddOptions{Progress: progress})
		if err != nil && s.ctx.Err() == nil {
			s.log.Error("indexing", "err", err)
		}
		for _, l := range s.heard() {
			if l.Drained != nil {
				l.Drained(Pass{N: n, Sum: sum, Err: err})
			}
		}
		// After a failure the next kick (a watch starting over) decides.
		due.Reset(time.Hour)
		if t, ok, derr := s.st.NextDue(s.ctx); err == nil && derr == nil && ok {
			due.Reset(max(time.Until(t), 10*time.Millisecond))
		}
	}
}

// lock takes the queue for one pass, unless ctx ends first.
func (s *Service) lock(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) unlock() { <-s.sem }

// Hold waits for the pass under way and keeps the next from starting until
// release is called: nothing is stored or embedded meanwhile (the models
// change).
func (s *Service) Hold() (release func()) {
	s.sem <- struct{}{}
	var once sync.Once
	return func() { once.Do(s.unlock) }
}

// transcriber is the pipeline in force, nil without one.
func (s *Service) transcriber() *audio.Transcriber {
	if s.cfg.Transcriber == nil {
		return nil
	}
	tr, _ := s.cfg.Transcriber()
	return tr
}
