package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/watch"
)

// WatchOptions tune Watch.
type WatchOptions struct {
	// Settle, Poll and MaxWatches: see watch.Options.
	Settle     time.Duration
	Poll       time.Duration
	MaxWatches int
	// Progress hears about every file indexed, removed or failed.
	Progress func(Progress)
	// Ready is called once the folders are watched and reconciled; Drained
	// after every pass over the queue, with what it did.
	Ready   func(WatchState)
	Drained func(Summary, WatchState)
	// Warn hears about folders that could not be watched.
	Warn func(string)
	// Standby keeps Watch running with no folder (a server, where folders
	// are added later); without it, no folder is an error.
	Standby bool
}

// WatchState is what a running watch reports.
type WatchState struct {
	Folders int              `json:"folders"`
	Watched int              `json:"watched"` // folders followed through the OS
	Polled  int              `json:"polled"`  // folders scanned instead (the OS limit was reached)
	Queue   store.QueueStats `json:"queue"`
}

// Watch backoff: 1 s doubling up to a minute.
const (
	watchRetryBase = time.Second
	watchRetryMax  = time.Minute
)

// Watch keeps the watched folders and the vault in step until ctx ends:
// first it reconciles what changed while Hoard was closed (size and
// modification and change times first; the content hash decides), then it
// follows changes as they settle. Work goes through the queue and the drain
// goroutine, so an interrupted watch resumes where it stopped. A failure
// (the database locked or the disk full) does not end it: it starts over
// after a backoff, and the reconciling walk finds whatever changed
// meanwhile. It returns only when ctx ends, or at once when nothing is
// watched and opt.Standby is unset.
func (s *Service) Watch(ctx context.Context, opt WatchOptions) error {
	if folders, err := s.st.Watched(ctx); err == nil && len(folders) == 0 && !opt.Standby {
		return errors.New("no folders are watched: add one with `hoard watch DIR`")
	}
	l := &watchLoop{s: s, ctx: ctx, opt: opt, passes: passBox{signal: make(chan struct{}, 1)}, restart: time.NewTimer(time.Hour)}
	l.restart.Stop()
	stop := s.Listen(Listener{Progress: opt.Progress, Drained: l.passes.put})
	defer stop()
	defer s.setWatchStatus(WatchStatus{})
	defer l.stopWatcher()
	s.setWatchStatus(WatchStatus{Running: true})
	l.run()
	return nil
}

// watchLoop is one Watch: a main loop with one select, and a method for
// each thing it waits for.
type watchLoop struct {
	s   *Service
	ctx context.Context
	opt WatchOptions
	// w follows the folders in live; nil while a failed start waits to
	// start over (restart).
	w       *watch.Watcher
	runErr  chan error // w.Run's end
	stopRun context.CancelFunc
	live    []store.WatchedFolder
	restart *time.Timer
	fails   int // in a row, since the last clean pass
	// passes are the drain goroutine's reports; since is the first one
	// this start made, the one that ends its catch-up.
	passes passBox
	since  uint64
	ready  bool // opt.Ready was called (once, not after every start over)
}

func (l *watchLoop) run() {
	l.start()
	for {
		select {
		case <-l.ctx.Done():
			return
		case err := <-l.runErr:
			l.onWatcherStopped(err)
		case batch := <-l.changes():
			l.onChanges(batch)
		case <-l.s.watchKick:
			l.onFolders()
		case <-l.passes.signal:
			l.onPasses()
		case <-l.restart.C:
			l.start()
		}
	}
}

// changes is the watcher's feed; nil (never ready) while there is none.
func (l *watchLoop) changes() <-chan []string {
	if l.w == nil {
		return nil
	}
	return l.w.Changes()
}

// start watches the stored folders, queues what changed in them while
// nobody watched, and has the queue worked.
func (l *watchLoop) start() {
	// A kick from before this start is stale: the list is read now.
	select {
	case <-l.s.watchKick:
	default:
	}
	folders, err := l.s.st.Watched(l.ctx)
	if err != nil {
		l.fail(err)
		return
	}
	w, err := watch.New(watch.Options{Settle: l.opt.Settle, Poll: l.opt.Poll, MaxWatches: l.opt.MaxWatches, Skip: l.s.skip, Logger: l.s.log})
	if err != nil {
		l.fail(err)
		return
	}
	rctx, stop := context.WithCancel(l.ctx)
	l.w, l.stopRun, l.runErr, l.live = w, stop, make(chan error, 1), nil
	go func(done chan<- error) { done <- w.Run(rctx) }(l.runErr)
	if err := l.follow(folders); err != nil {
		l.fail(err)
		return
	}
	l.since = l.s.Kick()
}

// stopWatcher lets the folders go.
func (l *watchLoop) stopWatcher() {
	if l.w == nil {
		return
	}
	l.stopRun()
	l.w.Close()
	l.w, l.runErr, l.live = nil, nil, nil
}

// fail stops following and starts over after a backoff.
func (l *watchLoop) fail(err error) {
	l.stopWatcher()
	if l.ctx.Err() != nil {
		return
	}
	l.fails++
	wait := min(watchRetryBase<<min(l.fails-1, 16), watchRetryMax)
	msg := fmt.Sprintf("retrying in %s: %v", wait, err)
	l.s.log.Warn("watch: "+msg, "failures", l.fails)
	l.warn(msg)
	l.s.setWatchStatus(WatchStatus{Running: true, Retrying: true, Message: msg, RetryAt: time.Now().Add(wait), Failures: l.fails})
	l.restart.Reset(wait)
}

func (l *watchLoop) warn(msg string) {
	if l.opt.Warn != nil {
		l.opt.Warn(msg)
	}
}

func (l *watchLoop) onWatcherStopped(err error) {
	if err == nil {
		err = errors.New("the folder watcher stopped")
	}
	l.fail(err)
}

// onChanges queues settled paths for the drain goroutine.
func (l *watchLoop) onChanges(paths []string) {
	if err := l.s.st.Enqueue(l.ctx, l.s.classify(paths, l.live)); err != nil {
		l.fail(err)
		return
	}
	l.flushWarnings()
	l.s.Kick()
}

// onFolders follows the watched folders as they are now; it also works
// the queue, where files an engine was waiting for may be released.
func (l *watchLoop) onFolders() {
	if l.w == nil {
		return // the next start reads them
	}
	folders, err := l.s.st.Watched(l.ctx)
	if err == nil {
		err = l.follow(folders)
	}
	if err != nil {
		l.fail(err)
		return
	}
	l.s.Kick()
}

// onPasses hears what the drain goroutine did since this start: a failure
// starts over, a clean pass clears the failures.
func (l *watchLoop) onPasses() {
	for _, p := range l.passes.take() {
		if l.w == nil || p.N < l.since {
			continue // another start's, or begun before this one
		}
		if p.Err != nil {
			l.fail(p.Err)
			return
		}
		if l.fails > 0 {
			l.fails = 0
			l.s.setWatchStatus(WatchStatus{Running: true})
		}
		if l.opt.Drained != nil {
			l.opt.Drained(p.Sum, l.state())
		}
		if !l.ready {
			l.ready = true
			if l.opt.Ready != nil {
				l.opt.Ready(l.state())
			}
		}
	}
}

func (l *watchLoop) flushWarnings() {
	for _, msg := range l.w.Warnings() {
		l.warn(msg)
	}
}

func (l *watchLoop) state() WatchState {
	q, _ := l.s.st.QueueStats(l.ctx)
	watched, polled := l.w.Stats()
	return WatchState{Folders: len(l.live), Watched: watched, Polled: polled, Queue: q}
}

// follow brings the watcher and the ignore rules in line with the stored
// folders and queues what changed in the new ones.
func (l *watchLoop) follow(folders []store.WatchedFolder) error {
	want := map[string]bool{}
	for _, f := range folders {
		want[f.Path] = true
	}
	had := map[string]bool{}
	var kept []store.WatchedFolder
	for _, f := range l.live {
		had[f.Path] = true
		if want[f.Path] {
			kept = append(kept, f)
		} else {
			l.w.Remove(f.Path)
		}
	}
	l.live = kept
	l.s.setRules(folders)
	for _, f := range folders {
		if had[f.Path] {
			continue
		}
		// The watch goes in before the reconciling walk, so nothing
		// changed in between is missed (a change seen twice is harmless).
		if err := l.w.Add(f.Path); err != nil {
			l.warn(fmt.Sprintf("%v (still listed; it is looked at again on the next start)", err))
			continue
		}
		l.live = append(l.live, f)
		if err := l.s.reconcile(l.ctx, f); err != nil {
			return err
		}
	}
	l.flushWarnings()
	return nil
}

// passBox holds the drain goroutine's reports until the watch loop reads
// them: the drain goroutine never waits for the loop.
type passBox struct {
	mu     sync.Mutex
	items  []Pass
	signal chan struct{}
}

func (b *passBox) put(p Pass) {
	b.mu.Lock()
	b.items = append(b.items, p)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

func (b *passBox) take() []Pass {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}
