package postings_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/postings"
	"github.com/hoardvault/hoard/backend/vault"
)

// buildLog records when each build of an index ended and how long it
// took, from the index's own log.
type buildLog struct {
	mu     sync.Mutex
	builds []span
}

type span struct{ start, end time.Time }

func (l *buildLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *buildLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *buildLog) WithGroup(string) slog.Handler            { return l }
func (l *buildLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "in-memory full-text index built" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "took" {
			l.mu.Lock()
			l.builds = append(l.builds, span{start: r.Time.Add(-a.Value.Duration()), end: r.Time})
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

func (l *buildLog) spans() []span {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]span(nil), l.builds...)
}

// TestRebuildsBoundedUnderWrites saves a note again and again, searching
// in between, as a watched folder saved every few seconds would: saved
// more often than the settle time, the index is not built at all; less
// often, it is built again, but never sooner than nine times the last
// build's time after that build ended, so rebuilding takes at most about
// a tenth of a core.
func TestRebuildsBoundedUnderWrites(t *testing.T) {
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	// The project's documentation, twice over, so that a build takes long
	// enough to be timed.
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(root, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(root, "docs", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			text := fmt.Sprintf("copy%d\n\n%s", i, b)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s", i, e.Name())), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	note := filepath.Join(t.TempDir(), "note.md")
	save := func(v *vault.Vault, n int) {
		t.Helper()
		text := fmt.Sprintf("# Draft\n\nThe starter ferments, revision %d of the note.\n", n)
		if err := os.WriteFile(note, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Add(ctx, []string{note}, vault.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	st, v := ingest(t, dir)
	save(v, 0)
	q := postings.Query{Terms: []string{"vector", "ferments"}, Weights: [3]float64{2, 1.5, 1}}

	cases := []struct {
		name string
		// settle and spacing of the saves, from the first build's time
		settle, every func(took time.Duration) time.Duration
		saves         int
		wantBuilt     bool // built again during the burst
	}{
		{"saved faster than it settles", func(took time.Duration) time.Duration { return max(20*took, 300*time.Millisecond) },
			func(took time.Duration) time.Duration { return max(4*took, 60*time.Millisecond) }, 10, false},
		{"saved slower than it settles", func(took time.Duration) time.Duration { return took / 2 },
			func(took time.Duration) time.Duration { return 3 * took }, 30, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := &buildLog{}
			x := postings.New(st.SearchView(), slog.New(log))
			t.Cleanup(x.Close)
			x.Start()
			if err := x.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			first := log.spans()
			if len(first) != 1 {
				t.Fatalf("%d builds logged, want 1", len(first))
			}
			took := first[0].end.Sub(first[0].start)
			x.Settle = tc.settle(took)
			every := tc.every(took)
			begin := time.Now()
			for n := 1; n <= tc.saves; n++ {
				save(v, n)
				for next := time.Now().Add(every); time.Now().Before(next); time.Sleep(time.Millisecond) {
					if _, _, err := x.Search(ctx, q, 10); err != nil {
						t.Fatal(err)
					}
				}
			}
			elapsed := time.Since(begin)
			if err := x.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			builds := log.spans()
			var busy time.Duration
			for _, b := range builds[1:] {
				busy += b.end.Sub(b.start)
			}
			t.Logf("first build %v, settle %v, %d saves %v apart over %v: %d builds more, %v building (%.0f%%)",
				took.Round(time.Microsecond), x.Settle.Round(time.Microsecond), tc.saves, every.Round(time.Microsecond),
				elapsed.Round(time.Millisecond), len(builds)-1, busy.Round(time.Millisecond), 100*busy.Seconds()/elapsed.Seconds())
			if built := len(builds) > 1; built != tc.wantBuilt {
				t.Fatalf("built again %d times, want built again: %v", len(builds)-1, tc.wantBuilt)
			}
			if tc.wantBuilt && len(builds) < 3 {
				t.Fatalf("built again %d times; the burst is too short to time the rest between builds", len(builds)-1)
			}
			var bad []string
			for i := 1; i < len(builds); i++ {
				prev := builds[i-1].end.Sub(builds[i-1].start)
				// The log is written a moment after the rest is set, and a loaded
				// machine stretches that moment: a little slack.
				if rest := builds[i].start.Sub(builds[i-1].end); rest < 9*prev*99/100-5*time.Millisecond {
					bad = append(bad, fmt.Sprintf("build %d began %v after one of %v", i+1, rest.Round(time.Microsecond), prev.Round(time.Microsecond)))
				}
			}
			if len(bad) > 0 {
				t.Errorf("rebuilt sooner than nine times the last build's time:\n%s", strings.Join(bad, "\n"))
			}
		})
	}
}
