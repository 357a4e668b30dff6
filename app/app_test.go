//go:build desktop

package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Opening hands the file to the system; an opener that fails at once (no
// application for the type, as xdg-open says with exit 3 or 4) is an
// error with its words, where it used to be nothing at all.
func TestOpenFileReportsTheOpener(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	os.WriteFile(file, []byte("tea"), 0o644)
	for _, tc := range []struct {
		name, script, file, err string
	}{
		{"opened", "exit 0", file, ""},
		{"a viewer that stays open", "sleep 10", file, ""},
		{"no application", "echo 'xdg-open: no method available for opening it' >&2; exit 3", file, "no method available"},
		{"the file is gone", "exit 0", filepath.Join(dir, "gone.txt"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			start := time.Now()
			err := openFile(tc.file, 0)
			if took := time.Since(start); took > openGrace+time.Second {
				t.Errorf("took %v", took)
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// One window per vault: a second claim asks the first to show itself; a
// socket left by a crashed window is taken over.
func TestInstanceClaim(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	path := socketPath(t.TempDir())
	first, err := claimInstance(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var shown atomic.Int32
	done := make(chan struct{})
	go func() { first.serve(ctx, func() { shown.Add(1) }, slogDiscard()); close(done) }()
	if _, err := claimInstance(path); !errors.Is(err, errRunning) || shown.Load() != 1 {
		t.Fatalf("second claim: %v, shown %d", err, shown.Load())
	}
	cancel()
	<-done
	again, err := claimInstance(path)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.ln.(*net.UnixListener).SetUnlinkOnClose(false)
	again.ln.Close() // as a crash leaves it: the file, nobody listening
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	taken, err := claimInstance(path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	taken.ln.Close()
}

func TestGeometry(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hoard", "window.json")
	if _, ok := loadGeometry(file, 760, 480); ok {
		t.Error("geometry before any was saved")
	}
	want := geometry{X: 30, Y: 40, Width: 1000, Height: 700}
	if err := saveGeometry(file, want); err != nil {
		t.Fatal(err)
	}
	if got, ok := loadGeometry(file, 760, 480); !ok || got != want {
		t.Errorf("loaded %+v %v", got, ok)
	}
	if _, ok := loadGeometry(file, 1200, 480); ok {
		t.Error("a size under the minimum was restored")
	}
	for _, tc := range []struct {
		g    geometry
		w, h int
		want bool
	}{
		{want, 1366, 900, true},
		{geometry{X: 2000, Y: 40}, 1366, 900, false}, // on a second monitor that is gone
		{geometry{X: -5, Y: 40}, 1366, 900, false},
		{geometry{X: 1340, Y: 40}, 1366, 900, false}, // no room to grab it
	} {
		if got := tc.g.onScreen(tc.w, tc.h); got != tc.want {
			t.Errorf("%+v on %dx%d: %v", tc.g, tc.w, tc.h, got)
		}
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
