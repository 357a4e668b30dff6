package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// The change feed signals a commit by this store, by another store on the
// same file (another process, as `hoard add` beside `hoard serve`) and a
// Touch; it stays quiet while nothing changes.
func TestFeedSignalsEveryWriter(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ch, cancel := s.Subscribe()
	defer cancel()
	time.Sleep(2 * feedPoll) // the poller has read the first version
	quiet := func(what string) {
		t.Helper()
		select {
		case <-ch:
			t.Fatalf("%s: a signal with nothing changed", what)
		case <-time.After(4 * feedPoll):
		}
	}
	signalled := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * feedPoll):
			t.Fatalf("%s: no signal", what)
		}
	}
	quiet("idle")
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"this store", func() error {
			_, err := s.CreateCollection(ctx, "work", 1)
			return err
		}},
		{"another store on the file", func() error {
			_, err := other.CreateCollection(ctx, "home", 1)
			return err
		}},
		{"touch", func() error { s.Touch(); return nil }},
	} {
		if err := tc.write(); err != nil {
			t.Fatal(tc.name, err)
		}
		signalled(tc.name)
		quiet("after " + tc.name)
	}
	cancel()
	if s.feed.stop != nil || len(s.feed.subs) != 0 {
		t.Error("the poller runs on with nobody listening")
	}
}
