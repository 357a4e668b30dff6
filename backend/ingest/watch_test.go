package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/store"
)

// loopRun is a watch loop driven one case at a time, as its select would.
type loopRun struct {
	l       *watchLoop
	drained []Summary
	ready   int
}

func newLoop(t *testing.T, s *Service) *loopRun {
	t.Helper()
	r := &loopRun{}
	opt := WatchOptions{Settle: 50 * time.Millisecond,
		Drained: func(sum Summary, _ WatchState) { r.drained = append(r.drained, sum) },
		Ready:   func(WatchState) { r.ready++ }}
	r.l = &watchLoop{s: s, ctx: context.Background(), opt: opt, passes: passBox{signal: make(chan struct{}, 1)}, restart: time.NewTimer(time.Hour)}
	r.l.restart.Stop()
	t.Cleanup(s.Listen(Listener{Drained: r.l.passes.put}))
	t.Cleanup(r.l.stopWatcher)
	return r
}

// pass kicks the drain goroutine and hands its reports to onPasses until
// the pass that kick asked for (which sees all queued so far) is among them.
func (r *loopRun) pass(t *testing.T) {
	t.Helper()
	want := r.l.s.Kick()
	for {
		select {
		case <-r.l.passes.signal:
			r.l.passes.mu.Lock()
			reached := false
			for _, p := range r.l.passes.items {
				reached = reached || p.N >= want
			}
			r.l.passes.mu.Unlock()
			r.l.onPasses()
			if reached {
				return
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("pass %d never came", want)
		}
	}
}

// change waits for the watcher's next settled batch that names path.
func (r *loopRun) change(t *testing.T, path string) []string {
	t.Helper()
	for {
		select {
		case batch := <-r.l.changes():
			for _, p := range batch {
				if p == path {
					return batch
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no change seen for %s", path)
		}
	}
}

// Each case of the watch loop on real files and real fsnotify: start
// reconciles and becomes ready after its pass; a change is queued and
// worked; a folder added or removed is followed or let go; the watcher
// stopping, or a pass failing, starts over after a backoff that the
// status (and the state file other processes read) explain, and the next
// clean pass clears it.
func TestWatchLoopCases(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t, Config{})
	a := t.TempDir()
	testdata.WriteFile(t, filepath.Join(a, "one.md"), "# One\n\nThe first note.")
	testdata.WriteFile(t, filepath.Join(a, "skip", "s.md"), "# Skipped\n\nIgnored by the rules.")
	testdata.WriteFile(t, filepath.Join(a, ".hoardignore"), "skip/\n")
	if _, err := s.AddWatched(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	r := newLoop(t, s)

	// start: watched, reconciled, ready once its pass is done.
	r.l.start()
	if r.l.w == nil || len(r.l.live) != 1 {
		t.Fatalf("start: watcher %v, live %+v", r.l.w, r.l.live)
	}
	r.pass(t)
	if r.ready != 1 || len(r.drained) == 0 || r.drained[0].Indexed != 1 || !indexed(t, st, filepath.Join(a, "one.md")) {
		t.Fatalf("after start: ready %d, drained %+v", r.ready, r.drained)
	}
	if indexed(t, st, filepath.Join(a, "skip", "s.md")) {
		t.Fatal(".hoardignore: the skipped file was indexed")
	}

	// onChanges: a new file, then its removal.
	two := filepath.Join(a, "two.md")
	testdata.WriteFile(t, two, "# Two\n\nThe second note.")
	r.l.onChanges(r.change(t, two))
	r.pass(t)
	if !indexed(t, st, two) {
		t.Fatal("a new file was not indexed")
	}
	os.Remove(two)
	r.l.onChanges(r.change(t, two))
	r.pass(t)
	if _, err := st.SourceState(ctx, two); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted file is still held: %v", err)
	}

	// onFolders: a folder added is reconciled and followed, one removed
	// is let go.
	b := t.TempDir()
	testdata.WriteFile(t, filepath.Join(b, "old.md"), "# Old\n\nIn the second folder.")
	if err := st.AddWatched(ctx, b, "second"); err != nil {
		t.Fatal(err)
	}
	r.l.onFolders()
	r.pass(t)
	if len(r.l.live) != 2 || !indexed(t, st, filepath.Join(b, "old.md")) {
		t.Fatalf("a folder added: live %+v", r.l.live)
	}
	if err := st.RemoveWatched(ctx, b); err != nil {
		t.Fatal(err)
	}
	r.l.onFolders()
	if len(r.l.live) != 1 || r.l.live[0].Path != a {
		t.Fatalf("a folder removed: live %+v", r.l.live)
	}

	// onWatcherStopped: starts over after a backoff, said in the status
	// and in the file other processes read.
	r.l.onWatcherStopped(nil)
	st1 := s.WatchStatus()
	if r.l.w != nil || !st1.Retrying || st1.Failures != 1 || !strings.Contains(st1.Message, "retrying in 1s: the folder watcher stopped") {
		t.Fatalf("after the watcher stopped: watcher %v, status %+v", r.l.w, st1)
	}
	raw, err := os.ReadFile(filepath.Join(s.cfg.Dir, watchStateFile))
	var other watchState
	if err != nil || json.Unmarshal(raw, &other) != nil || !other.Status.Retrying || other.Pid != os.Getpid() {
		t.Fatalf("the state file: %s (%v)", raw, err)
	}
	// A change while stopped is found by the next start's reconciling walk.
	three := filepath.Join(a, "three.md")
	testdata.WriteFile(t, three, "# Three\n\nWritten while nobody watched.")
	select {
	case <-r.l.restart.C:
	case <-time.After(5 * time.Second):
		t.Fatal("no restart after the backoff")
	}
	r.l.start()
	r.pass(t)
	if ws := s.WatchStatus(); r.l.w == nil || ws.Retrying || ws.Failures != 0 || ws.Message != "" {
		t.Fatalf("after the restart: status %+v", ws)
	}
	if !indexed(t, st, three) {
		t.Fatal("the file written while stopped was not caught up")
	}
	if r.ready != 1 {
		t.Fatalf("Ready called %d times, want once", r.ready)
	}

	// onPasses: a failed pass starts over too; one from before this start
	// is not this start's.
	r.l.passes.put(Pass{N: r.l.since - 1, Err: errors.New("an old failure")})
	r.l.onPasses()
	if r.l.w == nil {
		t.Fatal("a failure from before the start stopped the watch")
	}
	r.l.passes.put(Pass{N: r.l.since, Err: errors.New("database is locked")})
	r.l.onPasses()
	if st := s.WatchStatus(); r.l.w != nil || !st.Retrying || !strings.Contains(st.Message, "database is locked") {
		t.Fatalf("after a failed pass: status %+v", st)
	}
}
