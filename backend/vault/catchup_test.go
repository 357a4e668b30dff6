package vault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An edit that keeps a file's size and puts its modification time back (a
// sync tool, `touch -r`, an editor that preserves times) is still caught up
// after a restart: the inode change time moves whatever the mtime says.
func TestCatchUpSeesSameSizeEditsWithRestoredMTime(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	dir := t.TempDir()
	const files = 50
	body := func(i int, word string) string { return fmt.Sprintf("# Note %02d\n\nThis note is about %s.", i, word) }
	for i := range files {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("n%02d.md", i)), body(i, "alpaca"))
	}
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	r := runWatch(t, v)
	r.stop()
	if n := len(mustSearch(t, v, "alpaca")); n != 10 {
		t.Fatalf("first start: %d hits", n)
	}
	// While stopped: each file gets new words of the same length, and its
	// old modification time back.
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("n%02d.md", i))
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, body(i, "bonobo"))
		if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond)
	r = runWatch(t, v)
	r.stop()
	stale := 0
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("n%02d.md", i))
		id, err := v.store.DocumentIDForPath(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		_, text, err := v.store.DocumentText(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "bonobo") {
			stale++
		}
	}
	t.Logf("stale after catch-up: %d of %d", stale, files)
	if stale != 0 {
		t.Fatalf("catch-up left %d of %d edited files stale", stale, files)
	}
	// Files caught up once are not read again at the next start.
	r = runWatch(t, v)
	r.stop()
	if first := r.drains[0]; first.Indexed+first.Unchanged != 0 {
		t.Fatalf("a third start read files again: %+v", first)
	}
}
