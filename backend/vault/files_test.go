package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/extract"
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

// A file rewritten while it is read is read again, never stored torn.
func TestRewrittenWhileReadIsNotTorn(t *testing.T) {
	v := openVault(t, Options{})
	p := filepath.Join(t.TempDir(), "busy.txt")
	versions := []string{strings.Repeat("a", 1<<20), strings.Repeat("b", 1<<20)}
	writeFile(t, p, versions[0])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Rewrites in place: a reader during a write sees the file grow.
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := os.WriteFile(p, []byte(versions[i%2]), 0o644); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	torn, whole := 0, 0
	check := func(data []byte, err error) {
		switch {
		case err != nil && transient(err):
		case err != nil:
			t.Errorf("read: %v", err)
		case string(data) == versions[0] || string(data) == versions[1]:
			whole++
		case len(data) == 0:
			// Caught between the truncation and the write: what the file
			// held at that instant (the write's event brings it back),
			// not a mix of two versions.
		default:
			if torn == 0 {
				t.Logf("torn: %d bytes, %q...%q", len(data), data[:min(len(data), 8)], data[max(0, len(data)-8):])
			}
			torn++
		}
	}
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		var src store.Source
		check(v.readFile(context.Background(), p, &src))
	}
	close(stop)
	wg.Wait()
	// Once the writer stops, the read is whole.
	var src store.Source
	data, err := v.readFile(context.Background(), p, &src)
	if err != nil || (string(data) != versions[0] && string(data) != versions[1]) {
		t.Fatalf("after the writer stopped: %d bytes, %v", len(data), err)
	}
	t.Logf("while rewritten: %d whole reads, %d torn", whole, torn)
	if torn > 0 {
		t.Fatalf("%d torn reads", torn)
	}
}

// Too many open files is a condition that passes: the file is retried, not
// failed for good.
func TestTooManyOpenFilesIsTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{syscall.EMFILE, true},
		{syscall.ENFILE, true},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EMFILE}, true},
		{fmt.Errorf("read corpus: %w", &os.PathError{Op: "open", Path: "/x", Err: syscall.ENFILE}), true},
		{syscall.EACCES, false},
		{extract.ErrCorrupt, false},
		{errors.New("not a regular file"), false},
	} {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	// A real one: every descriptor the process may have is taken.
	v := openVault(t, Options{})
	p := filepath.Join(t.TempDir(), "note.md")
	writeFile(t, p, "# Note\n\nA plain note.")
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = 64
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var held []*os.File
	var src store.Source
	var readErr error
	func() {
		defer func() {
			for _, f := range held {
				f.Close()
			}
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}()
		for {
			f, err := os.Open(os.DevNull)
			if err != nil {
				break
			}
			held = append(held, f)
		}
		_, readErr = v.readFile(context.Background(), p, &src)
	}()
	if !errors.Is(readErr, syscall.EMFILE) || !transient(readErr) {
		t.Fatalf("with no descriptor left: %v (transient %v)", readErr, transient(readErr))
	}
	out, _, _ := v.write(context.Background(), v.store, prepared{job: job{path: p}, err: readErr})
	if out != OutRetry {
		t.Fatalf("with no descriptor left the file is %s, want %s", out, OutRetry)
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
