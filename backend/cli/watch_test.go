package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `hoard watch DIR` runs in the foreground with a line per file, remembers
// the folder, and stops cleanly on interrupt (a cancelled context, as
// main's signal handler gives it).
func TestWatchCommand(t *testing.T) {
	v, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "first.md"), []byte("# First\n\nThe walrus naps."), 0o644)
	var out, errb syncBuffer
	root := NewRoot(&out, &errb)
	root.SetArgs([]string{"--vault", v, "watch", "--settle", "50ms", dir})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no %q in the output:\n%s\n%s", what, out.String(), errb.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("watching 1 folder")
	waitFor("indexed  " + filepath.Join(dir, "first.md"))
	os.WriteFile(filepath.Join(dir, "second.md"), []byte("# Second\n\nThe puffin dives."), 0o644)
	waitFor("indexed  " + filepath.Join(dir, "second.md"))
	os.Remove(filepath.Join(dir, "first.md"))
	waitFor("removed  " + filepath.Join(dir, "first.md"))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop on interrupt")
	}
	if got := mustRun(t, "--vault", v, "watch", "--list"); !strings.Contains(got, dir) {
		t.Fatalf("watch --list: %q", got)
	}
	if got := mustRun(t, "--vault", v, "status"); !strings.Contains(got, "watching") || !strings.Contains(got, dir) || !strings.Contains(got, "queue") {
		t.Fatalf("status: %s", got)
	}
	if got := mustRun(t, "--vault", v, "search", "puffin"); !strings.Contains(got, "second.md") {
		t.Fatalf("search: %s", got)
	}
	mustRun(t, "--vault", v, "watch", "--rm", dir)
	if _, err := run(t, "--vault", v, "watch"); err == nil || !strings.Contains(err.Error(), "no folders are watched") {
		t.Fatalf("watch with no folder: %v", err)
	}
}
