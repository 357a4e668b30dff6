package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/store"
)

// A file rewritten while it is read is read again, never stored torn.
func TestRewrittenWhileReadIsNotTorn(t *testing.T) {
	s, _ := newService(t, Config{})
	p := filepath.Join(t.TempDir(), "busy.txt")
	versions := []string{strings.Repeat("a", 1<<20), strings.Repeat("b", 1<<20)}
	testdata.WriteFile(t, p, versions[0])
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
		check(s.readFile(context.Background(), p, &src))
	}
	close(stop)
	wg.Wait()
	// Once the writer stops, the read is whole.
	var src store.Source
	data, err := s.readFile(context.Background(), p, &src)
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
	s, st := newService(t, Config{})
	p := filepath.Join(t.TempDir(), "note.md")
	testdata.WriteFile(t, p, "# Note\n\nA plain note.")
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
		_, readErr = s.readFile(context.Background(), p, &src)
	}()
	if !errors.Is(readErr, syscall.EMFILE) || !transient(readErr) {
		t.Fatalf("with no descriptor left: %v (transient %v)", readErr, transient(readErr))
	}
	out, _, _ := s.write(context.Background(), st, prepared{job: job{path: p}, err: readErr})
	if out != OutRetry {
		t.Fatalf("with no descriptor left the file is %s, want %s", out, OutRetry)
	}
}
