package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// collector gathers what a watcher reports.
type collector struct {
	mu   sync.Mutex
	seen map[string]int
}

func start(t *testing.T, opt Options, roots ...string) (*Watcher, *collector) {
	t.Helper()
	w, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roots {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{seen: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	go func() {
		for {
			select {
			case b := <-w.Changes():
				c.mu.Lock()
				for _, p := range b {
					c.seen[p]++
				}
				c.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; w.Close() })
	return w, c
}

func (c *collector) count(p string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[p]
}

func (c *collector) wait(t *testing.T, p string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for c.count(p) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s was not reported within %s", p, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A file written in several bursts is reported once, after it settles.
func TestSettledOnce(t *testing.T) {
	root := t.TempDir()
	_, c := start(t, Options{Settle: 300 * time.Millisecond}, root)
	p := filepath.Join(root, "growing.md")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for i := range 8 {
		// Taken before the write: its event cannot come earlier, while
		// Sync may take long on a slow disk.
		last = time.Now()
		f.WriteString(strings.Repeat("line ", 100) + "\n")
		f.Sync()
		time.Sleep(40 * time.Millisecond)
		if c.count(p) > 0 {
			t.Fatalf("reported while still being written (after %d writes)", i+1)
		}
	}
	c.wait(t, p, 2*time.Second)
	if quiet := time.Since(last); quiet < 300*time.Millisecond {
		t.Fatalf("reported %s after the last write, before it settled", quiet)
	}
	f.Close()
	time.Sleep(400 * time.Millisecond)
	if n := c.count(p); n != 1 {
		t.Fatalf("reported %d times, want once", n)
	}
}

// Folders created later are followed; a folder moved away or deleted is
// reported; skipped paths are not.
func TestTreeChanges(t *testing.T) {
	root := t.TempDir()
	skip := func(p string, dir bool) bool { return strings.HasSuffix(p, ".tmp") || filepath.Base(p) == "private" }
	w, c := start(t, Options{Settle: 50 * time.Millisecond, Skip: skip}, root)
	sub := filepath.Join(root, "new", "deeper")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the new folder is watched once its Create is read
	inner := filepath.Join(sub, "note.md")
	write(t, inner, "x")
	c.wait(t, inner, 2*time.Second)
	write(t, filepath.Join(root, "scratch.tmp"), "x")
	write(t, filepath.Join(root, "private", "diary.md"), "x")
	moved := filepath.Join(root, "moved")
	if err := os.Rename(filepath.Join(root, "new"), moved); err != nil {
		t.Fatal(err)
	}
	c.wait(t, filepath.Join(root, "new"), 2*time.Second)
	c.wait(t, moved, 2*time.Second)
	// The moved folder is followed under its new name.
	later := filepath.Join(moved, "deeper", "later.md")
	write(t, later, "y")
	c.wait(t, later, 2*time.Second)
	if c.count(filepath.Join(root, "scratch.tmp")) != 0 || c.count(filepath.Join(root, "private")) != 0 ||
		c.count(filepath.Join(root, "private", "diary.md")) != 0 {
		t.Fatalf("skipped paths were reported: %v", c.seen)
	}
	if watched, _ := w.Stats(); watched != 3 { // root, moved, moved/deeper
		t.Fatalf("%d folders watched, want 3", watched)
	}
}

// Past the watch limit folders are scanned instead, and changes in them
// are still reported; the user is told once.
func TestWatchLimitFallsBackToScanning(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a", "b", "c"} {
		write(t, filepath.Join(root, d, "old.md"), "x")
	}
	w, c := start(t, Options{Settle: 20 * time.Millisecond, Poll: 100 * time.Millisecond, MaxWatches: 2}, root)
	watched, polled := w.Stats()
	if watched != 2 || polled != 2 {
		t.Fatalf("watched %d, polled %d; want 2 and 2", watched, polled)
	}
	warns := w.Warnings()
	if len(warns) != 1 || !strings.Contains(warns[0], "limit") || !strings.Contains(warns[0], "max_user_watches") {
		t.Fatalf("want one warning naming the limit and the fix: %q", warns)
	}
	for _, d := range []string{"a", "b", "c"} {
		p := filepath.Join(root, d, "new.md")
		write(t, p, "fresh")
		c.wait(t, p, 3*time.Second)
		old := filepath.Join(root, d, "old.md")
		os.Remove(old)
		c.wait(t, old, 3*time.Second)
	}
}

// A symlink back up the tree is cut, with a warning, not followed forever.
func TestSymlinkLoop(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "sub", "a.md"), "x")
	if err := os.Symlink(root, filepath.Join(root, "sub", "up")); err != nil {
		t.Fatal(err)
	}
	w, _ := start(t, Options{}, root)
	if watched, _ := w.Stats(); watched != 2 {
		t.Fatalf("%d folders watched, want 2", watched)
	}
	warns := w.Warnings()
	if !slices.ContainsFunc(warns, func(s string) bool { return strings.Contains(s, "symlink loop") }) {
		t.Fatalf("no symlink loop warning: %q", warns)
	}
}
