package vault

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// A store failure (here every write to the queue refused, as a full disk
// does) does not end the background watch: it says it is retrying and why,
// and once writes pass again what changed meanwhile is indexed.
func TestWatchOutlivesStoreFailures(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "first.md"), "# First\n\nThe ibis wades.")
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	r := runWatch(t, v)
	defer r.stop()
	if st := v.WatchStatus(); !st.Running || st.Retrying {
		t.Fatalf("a running watch reports %+v", st)
	}
	// A second connection to the same file makes every queue write fail.
	other, err := sql.Open("sqlite3", "file:"+filepath.Join(v.Dir(), DBFile)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TRIGGER full_disk BEFORE INSERT ON queue BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	next := filepath.Join(dir, "next.md")
	writeFile(t, next, "# Next\n\nThe heron waits.")
	eventually(t, "status says it retries", 15*time.Second, func() bool {
		st := v.WatchStatus()
		return st.Retrying && strings.Contains(st.Message, "retrying in") && strings.Contains(st.Message, "disk is full")
	})
	if st, err := v.Status(ctx); err != nil || !strings.Contains(st.Watch.Message, "disk is full") {
		t.Fatalf("the vault's status does not carry the watch's state: %+v (%v)", st.Watch, err)
	}
	// Another opening of the vault (`hoard status` beside `hoard serve`)
	// sees it too, with the process that watches.
	reader, err := Open(ctx, v.Dir(), Options{Neural: NeuralOptions{Models: ModelManager(t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if st, err := reader.Status(ctx); err != nil || !st.Watch.Retrying || !strings.Contains(st.Watch.Message, "disk is full") || st.Watch.Pid != os.Getpid() {
		t.Fatalf("another opening of the vault sees the watch as %+v (%v)", st.Watch, err)
	}
	if _, err := other.Exec(`DROP TRIGGER full_disk`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "indexed once writes pass", 30*time.Second, func() bool { return hitPath(t, v, "heron") == next })
	eventually(t, "status back to watching", 5*time.Second, func() bool {
		st := v.WatchStatus()
		return st.Running && !st.Retrying && st.Message == ""
	})
	r.stop()
	if st := reader.WatchStatus(); st.Running {
		t.Errorf("the watch stopped, another opening sees %+v", st)
	}
}
