package vault

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// specialFiles makes a named pipe and a listening unix socket in dir; a
// pipe nobody writes to blocks whoever opens it for reading.
func specialFiles(t *testing.T, dir string) (fifo, sock string) {
	t.Helper()
	fifo = filepath.Join(dir, "pipe.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock = filepath.Join(dir, "sock.md")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return fifo, sock
}

// withTimeout fails the test when fn has not returned within d.
func withTimeout(t *testing.T, what string, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %s", what, d)
	}
}

// Named pipes, sockets and devices are not documents: named on the command
// line each fails alone with a reason, a queued one (left from an earlier
// run) does too, and nothing blocks the files beside them.
func TestSpecialFilesFailAlone(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	dir := t.TempDir()
	fifo, sock := specialFiles(t, dir)
	good := filepath.Join(dir, "good.md")
	writeFile(t, good, "# Good\n\nThe wombat sleeps by day.")
	var sum Summary
	withTimeout(t, "add", 20*time.Second, func() {
		var err error
		sum, err = v.Add(ctx, []string{fifo, sock, "/dev/null", good}, AddOptions{})
		if err != nil {
			t.Error(err)
		}
	})
	reasons := map[string]string{}
	for _, f := range sum.Failed {
		reasons[f.Path] = f.Reason
	}
	for path, want := range map[string]string{fifo: "named pipe", sock: "socket", "/dev/null": "device"} {
		if !strings.Contains(reasons[path], want) {
			t.Errorf("%s: reason %q, want it to say %q", path, reasons[path], want)
		}
	}
	if sum.Indexed != 1 || hitPath(t, v, "wombat") != good {
		t.Fatalf("the regular file beside them: %+v", sum)
	}
	if q, _ := v.Queue(ctx, 1, 0); q.Total() != 0 {
		t.Fatalf("special files stay queued: %+v", q)
	}
	// A pipe queued by an earlier run (one that hung on it) fails too.
	if err := v.store.Enqueue(ctx, []store.Task{{Path: fifo, Op: store.OpIndex}}); err != nil {
		t.Fatal(err)
	}
	withTimeout(t, "drain", 20*time.Second, func() {
		if _, err := v.Drain(ctx, AddOptions{}); err != nil {
			t.Error(err)
		}
	})
	if q, _ := v.Queue(ctx, 1, 0); q.Total() != 0 {
		t.Fatalf("a queued pipe stays queued: %+v", q)
	}
}

// A watched folder with a pipe and a socket in it goes on indexing, at
// catch-up and live.
func TestWatchPassesOverSpecialFiles(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	dir := t.TempDir()
	specialFiles(t, dir)
	writeFile(t, filepath.Join(dir, "first.md"), "# First\n\nThe pangolin rolls up.")
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	var r *watchRun
	withTimeout(t, "watch start", 30*time.Second, func() { r = runWatch(t, v) })
	defer r.stop()
	if hitPath(t, v, "pangolin") == "" {
		t.Fatal("catch-up did not index the file beside the pipe")
	}
	// Live: a new pipe, then a file.
	if err := syscall.Mkfifo(filepath.Join(dir, "later.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	next := filepath.Join(dir, "next.md")
	writeFile(t, next, "# Next\n\nThe tapir wades.")
	eventually(t, "file after a new pipe indexed", 15*time.Second, func() bool { return hitPath(t, v, "tapir") == next })
	// As in a folder walk, they are passed over, not kept as failures.
	if failed, _, err := v.Documents(ctx, store.ListOptions{Status: store.StatusFailed}); err != nil || len(failed) != 0 {
		t.Fatalf("failed documents %+v (%v)", failed, err)
	}
}

// A text file far past the text limit is refused before it is read: a
// 500 MB file (sparse, so the test needs no disk) costs kilobytes, not the
// gigabytes reading and decoding it took.
func TestHugeTextFileIsRefusedBeforeReading(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	p := filepath.Join(t.TempDir(), "huge.txt")
	writeFile(t, p, strings.Repeat("All work and no play makes a dull text file.\n", 2000))
	if err := os.Truncate(p, 500<<20); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := v.Add(ctx, []string{p}, AddOptions{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].Reason, "too large") {
		t.Fatalf("want one failure, too large: %+v", sum)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for a 500 MB text file", alloc>>10)
	if alloc > 32<<20 {
		t.Fatalf("allocated %d MiB to refuse a 500 MB text file", alloc>>20)
	}
}
