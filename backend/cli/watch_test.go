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

	"github.com/hoardvault/hoard/backend/internal/testdata"
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
	root := NewRoot(&out, &errb, nil)
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

// A voice note waits until `hoard transcription` names an engine, is
// transcribed then, and its hits name the moment in the recording.
func TestTranscriptionCommand(t *testing.T) {
	testdata.NeedFFmpeg(t)
	v := t.TempDir()
	memo := filepath.Join(t.TempDir(), "memo.wav")
	data, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.wav"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(memo, data, 0o644)
	out := mustRun(t, "--vault", v, "--models", t.TempDir(), "add", memo)
	if !strings.Contains(out, "queued: "+memo+": waiting for a transcription engine") {
		t.Fatalf("add without an engine: %s", out)
	}
	if got := mustRun(t, "--vault", v, "transcription"); !strings.Contains(got, "engine: none") {
		t.Fatalf("transcription: %s", got)
	}
	srv, _ := testdata.TranscriptionServer(t, "And so my fellow Americans, ask not what your country can do for you.", nil)
	out = mustRun(t, "--vault", v, "--models", t.TempDir(), "transcription", "--url", srv.URL, "--api-key", "sk-test", "--language", "en")
	if !strings.Contains(out, "engine: transcription server "+srv.URL) || !strings.Contains(out, "1 transcribed") {
		t.Fatalf("setting the engine: %s", out)
	}
	// Changing one setting keeps the others.
	mustRun(t, "--vault", v, "transcription", "--language", "de")
	if got := mustRun(t, "--vault", v, "transcription"); !strings.Contains(got, srv.URL) || !strings.Contains(got, "language: de") {
		t.Fatalf("after changing the language: %s", got)
	}
	if got := mustRun(t, "--vault", v, "search", "fellow Americans"); !strings.Contains(got, memo+" 00:0") {
		t.Fatalf("the hit does not name the moment: %s", got)
	}
}
