package vault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// watchRun is a Watch running in the background, with what it reported.
type watchRun struct {
	mu      sync.Mutex
	indexed map[string]int // times each path was indexed (not linked, not unchanged)
	linked  map[string]int
	drains  []Summary
	ready   chan struct{}
	stop    func()
}

func runWatch(t *testing.T, v *Vault) *watchRun {
	t.Helper()
	r := &watchRun{indexed: map[string]int{}, linked: map[string]int{}, ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- v.Watch(ctx, WatchOptions{
			Settle: 100 * time.Millisecond,
			Progress: func(p Progress) {
				r.mu.Lock()
				defer r.mu.Unlock()
				switch p.Outcome {
				case OutIndexed:
					r.indexed[p.Path]++
				case OutLinked:
					r.linked[p.Path]++
				}
			},
			Drained: func(s Summary, _ WatchState) {
				r.mu.Lock()
				r.drains = append(r.drains, s)
				r.mu.Unlock()
			},
			Ready: func(WatchState) { close(r.ready) },
		})
	}()
	select {
	case <-r.ready:
	case err := <-done:
		t.Fatalf("watch ended: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("watch not ready")
	}
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("watch: %v", err)
			}
		})
	}
	return r
}

func eventually(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	testdata.Eventually(t, what, within, ok)
}

// hitPath is the path of the first hit for q, or "".
func hitPath(t *testing.T, v *Vault, q string) string {
	hits := mustSearch(t, v, q)
	if len(hits) == 0 {
		return ""
	}
	return hits[0].Path
}

// Watched folders on real fsnotify: changes made while Hoard was closed are
// reconciled on start; then creation, a burst of 5,000 files, rename, a move
// across watched folders and deletion reach the vault, each file indexed
// once, and renames keep the document (no re-extraction, no re-embedding).
func TestWatchFolders(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(a, "keep.md"), "# Keep\n\nThe aardvark digs at night.")
	writeFile(t, filepath.Join(a, "edit.md"), "# Edit\n\nThe first version mentions badgers.")
	writeFile(t, filepath.Join(a, "gone.md"), "# Gone\n\nCassowary facts.")
	writeFile(t, filepath.Join(a, ".hoardignore"), "secret/\n")
	writeFile(t, filepath.Join(a, "secret", "s.md"), "The dingo is a secret.")
	for _, d := range []string{a, b} {
		if _, err := v.AddWatched(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.AddWatched(ctx, v.Dir(), ""); err == nil {
		t.Fatal("watching the vault's own folder must be refused")
	}
	r := runWatch(t, v)
	if p := hitPath(t, v, "aardvark"); p != filepath.Join(a, "keep.md") {
		t.Fatalf("first start: aardvark in %q", p)
	}
	if p := hitPath(t, v, "dingo"); p != "" {
		t.Fatalf(".hoardignore: the secret was indexed (%s)", p)
	}
	r.stop()

	// While stopped: one file changes, one goes, one arrives.
	time.Sleep(1100 * time.Millisecond) // a new modification time (seconds)
	writeFile(t, filepath.Join(a, "edit.md"), "# Edit\n\nThe second version mentions echidnas.")
	os.Remove(filepath.Join(a, "gone.md"))
	writeFile(t, filepath.Join(b, "arrived.md"), "# Arrived\n\nA note about flamingos.")
	r = runWatch(t, v)
	defer r.stop()
	first := r.drains[0]
	if first.Indexed != 2 || first.Removed != 1 || first.Unchanged != 0 {
		t.Fatalf("reconcile: %+v; want 2 indexed, 1 removed, and the unchanged file not even read", first)
	}
	for q, want := range map[string]string{"echidnas": filepath.Join(a, "edit.md"), "badgers": "", "cassowary": "", "flamingos": filepath.Join(b, "arrived.md")} {
		if p := hitPath(t, v, q); p != want {
			t.Errorf("after reconcile %q is in %q, want %q", q, p, want)
		}
	}

	// Live: a new file is searchable once it settles.
	live := filepath.Join(a, "live.md")
	writeFile(t, live, "# Live\n\nThe gecko climbs walls.")
	eventually(t, "new file searchable", 10*time.Second, func() bool { return hitPath(t, v, "gecko") == live })

	// A burst of 5,000 files in a new folder.
	const burst = 5000
	dir := filepath.Join(a, "burst")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range burst {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("n%04d.md", i)), fmt.Sprintf("# Burst %d\n\nNote number w%dx about the burst.", i, i))
	}
	eventually(t, "the burst indexed", 120*time.Second, func() bool {
		srcs, err := v.store.SourcesUnder(ctx, dir)
		return err == nil && len(srcs) == burst
	})
	if p := hitPath(t, v, "w4321x"); p != filepath.Join(dir, "n4321.md") {
		t.Fatalf("burst file not searchable: %q", p)
	}

	// Rename within a folder and move across folders keep the document.
	before := mustSearch(t, v, "aardvark")[0]
	kept := filepath.Join(a, "sub", "kept.md")
	os.Mkdir(filepath.Dir(kept), 0o755)
	time.Sleep(200 * time.Millisecond)
	if err := os.Rename(filepath.Join(a, "keep.md"), kept); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(b, "live.md")
	if err := os.Rename(live, moved); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rename seen", 10*time.Second, func() bool { return hitPath(t, v, "aardvark") == kept && hitPath(t, v, "gecko") == moved })
	after := mustSearch(t, v, "aardvark")
	if len(after) != 1 || after[0].DocID != before.DocID || after[0].ChunkID != before.ChunkID {
		t.Fatalf("a rename rebuilt the document: %+v then %+v", before, after)
	}

	// Deletion.
	os.Remove(filepath.Join(a, "edit.md"))
	eventually(t, "deletion seen", 10*time.Second, func() bool { return hitPath(t, v, "echidnas") == "" })

	// A folder added while watching is caught up and followed; one removed
	// is no longer followed (what was indexed from it stays).
	c := t.TempDir()
	writeFile(t, filepath.Join(c, "old.md"), "# Old\n\nThe okapi was here first.")
	if _, err := v.AddWatched(ctx, c, "third"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "new folder caught up", 10*time.Second, func() bool { return hitPath(t, v, "okapi") == filepath.Join(c, "old.md") })
	writeFile(t, filepath.Join(c, "new.md"), "# New\n\nThe quokka smiles.")
	eventually(t, "new folder followed", 10*time.Second, func() bool { return hitPath(t, v, "quokka") == filepath.Join(c, "new.md") })
	if err := v.RemoveWatched(ctx, c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	writeFile(t, filepath.Join(c, "later.md"), "# Later\n\nThe narwhal surfaces.")
	time.Sleep(600 * time.Millisecond)
	if p := hitPath(t, v, "narwhal"); p != "" || hitPath(t, v, "quokka") == "" {
		t.Fatalf("after unwatching: narwhal in %q; quokka must stay", p)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for p, n := range r.indexed {
		if n != 1 {
			t.Errorf("%s indexed %d times", p, n)
		}
	}
	if r.indexed[kept] != 0 || r.indexed[moved] != 0 || r.linked[kept] != 1 || r.linked[moved] != 1 {
		t.Errorf("renamed files were indexed again instead of linked: indexed %d/%d, linked %d/%d",
			r.indexed[kept], r.indexed[moved], r.linked[kept], r.linked[moved])
	}
	if q, _ := v.Queue(ctx, 1, 0); q.Total() != 0 {
		t.Errorf("queue not empty: %+v", q)
	}
	if err := v.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
