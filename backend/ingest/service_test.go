package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/store"
)

// drainGoroutines counts the drain goroutines running in this process.
func drainGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "ingest.(*Service).drainLoop(")
}

// indexed reports whether path is stored and indexed.
func indexed(t *testing.T, st *store.Store, path string) bool {
	t.Helper()
	ss, err := st.SourceState(context.Background(), path)
	return err == nil && ss.Status == store.StatusIndexed
}

// Many Enqueue calls from many goroutines while the queue is being worked,
// with foreground Drains among them: one drain goroutine does the
// background work, no two passes ever overlap, passes are numbered in the
// order they run, and the queue ends empty with every file indexed.
func TestOneDrainGoroutine(t *testing.T) {
	ctx := context.Background()
	var active, most atomic.Int32
	s, st := newService(t, Config{Hooks: Hooks{Gists: func(context.Context) error {
		// Runs inside every pass that changed something.
		n := active.Add(1)
		defer active.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		return nil
	}}})
	var mu sync.Mutex
	var passes []uint64
	stop := s.Listen(Listener{Drained: func(p Pass) {
		if p.Err != nil {
			t.Errorf("pass %d: %v", p.N, p.Err)
		}
		mu.Lock()
		passes = append(passes, p.N)
		mu.Unlock()
	}})
	defer stop()
	dir := t.TempDir()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				p := filepath.Join(dir, fmt.Sprintf("w%d", w), fmt.Sprintf("n%02d.md", i))
				testdata.WriteFile(t, p, fmt.Sprintf("# Note %d of %d\n\nAbout the number %d.", i, w, w*100+i))
				if _, err := s.Enqueue(ctx, []string{p}, ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if _, err := s.Drain(ctx, AddOptions{}); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	last := s.Kick() // a pass that sees everything queued
	testdata.Eventually(t, "the last pass", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(passes) > 0 && passes[len(passes)-1] >= last
	})
	if q, err := st.QueueStats(ctx); err != nil || q.Total() != 0 || q.Retrying != 0 {
		t.Fatalf("queue after the last pass: %+v (%v)", q, err)
	}
	for w := range writers {
		for i := range each {
			if p := filepath.Join(dir, fmt.Sprintf("w%d", w), fmt.Sprintf("n%02d.md", i)); !indexed(t, st, p) {
				t.Errorf("%s not indexed", p)
			}
		}
	}
	if n := most.Load(); n != 1 {
		t.Errorf("%d passes ran at once", n)
	}
	if n := drainGoroutines(); n != 1 {
		t.Errorf("%d drain goroutines", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(passes) == 0 {
		t.Fatal("no background pass reported")
	}
	for i := 1; i < len(passes); i++ {
		if passes[i] != passes[i-1]+1 {
			t.Fatalf("passes reported out of order: %v", passes)
		}
	}
}

// A kick while a pass runs is answered by a later pass: the number Kick
// returns is that of a pass that sees what was queued before it.
func TestKickNumbersThePassThatSeesIt(t *testing.T) {
	ctx := context.Background()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	s, st := newService(t, Config{Hooks: Hooks{Changed: func() {
		once.Do(func() { entered <- struct{}{}; <-release })
	}}})
	got := make(chan Pass, 16)
	defer s.Listen(Listener{Drained: func(p Pass) { got <- p }})()
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.md"), filepath.Join(dir, "second.md")
	testdata.WriteFile(t, first, "# First\n\nThe first note.")
	testdata.WriteFile(t, second, "# Second\n\nThe second note.")
	if _, err := s.Enqueue(ctx, []string{first}, ""); err != nil {
		t.Fatal(err)
	}
	<-entered // the first pass holds the queue
	if _, _, err := s.enqueue(ctx, []string{second}, "", ""); err != nil {
		t.Fatal(err)
	}
	n := s.Kick()
	close(release)
	for {
		select {
		case p := <-got:
			if p.N < n {
				continue
			}
			if !indexed(t, st, second) {
				t.Fatalf("pass %d (Kick said %d) ended without the file queued before the kick", p.N, n)
			}
			return
		case <-time.After(30 * time.Second):
			t.Fatalf("pass %d never came", n)
		}
	}
}

// Close waits for the file being stored: once it returns nothing is
// written or reported any more, the claimed rows are back in the queue,
// and no new Kick starts the drain goroutine again.
func TestCloseWaitsForTheCurrentWrite(t *testing.T) {
	ctx := context.Background()
	var closed atomic.Bool
	var late atomic.Int32
	s, st := newService(t, Config{Workers: 1})
	started := make(chan struct{})
	var once sync.Once
	last := make(chan Pass, 1)
	s.Listen(Listener{
		Progress: func(Progress) {
			if closed.Load() {
				late.Add(1)
			}
			once.Do(func() { close(started) })
			time.Sleep(2 * time.Millisecond) // a pass long enough to be cut
		},
		Drained: func(p Pass) {
			if closed.Load() {
				late.Add(1)
			}
			last <- p
		},
	})
	dir := t.TempDir()
	const files = 400
	for i := range files {
		testdata.WriteFile(t, filepath.Join(dir, fmt.Sprintf("n%03d.md", i)), fmt.Sprintf("# Note %d\n\nText %d.", i, i))
	}
	if _, err := s.Enqueue(ctx, []string{dir}, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("no file indexed")
	}
	s.Close()
	closed.Store(true)
	if p := <-last; !errors.Is(p.Err, context.Canceled) {
		t.Errorf("the cut pass reports %v, want context.Canceled", p.Err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := late.Load(); n != 0 {
		t.Fatalf("%d reports after Close returned", n)
	}
	if n := drainGoroutines(); n != 0 {
		t.Fatalf("%d drain goroutines after Close", n)
	}
	q, err := st.QueueStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.Running != 0 || q.Pending == 0 || stats.Documents+q.Pending != files {
		t.Fatalf("after Close: queue %+v, %d documents; want no row claimed and every file stored or pending", q, stats.Documents)
	}
	if err := st.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
	s.Kick()
	if n := drainGoroutines(); n != 0 {
		t.Fatalf("a Kick after Close started %d drain goroutines", n)
	}
}
