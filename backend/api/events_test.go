package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

// Every open /api/events stream hears of a change another process made to
// the vault (a `hoard add` beside `hoard serve`), pushed from the change
// feed, and hears nothing while nothing changes.
func TestEventsFollowOtherWriters(t *testing.T) {
	srv, v := newServer(t, api.Options{Token: token})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type stream struct{ snaps chan wire.Snapshot }
	open := func() stream {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		s := stream{make(chan wire.Snapshot, 16)}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var snap wire.Snapshot
					if json.Unmarshal([]byte(data), &snap) == nil {
						s.snaps <- snap
					}
				}
			}
		}()
		return s
	}
	next := func(s stream, within time.Duration) (wire.Snapshot, bool) {
		select {
		case snap := <-s.snaps:
			return snap, true
		case <-time.After(within):
			return wire.Snapshot{}, false
		}
	}
	streams := []stream{open(), open(), open()}
	for i, s := range streams {
		if snap, ok := next(s, 5*time.Second); !ok || snap.Documents != 0 || snap.Seq != 1 {
			t.Fatalf("stream %d: first snapshot %+v (%v)", i, snap, ok)
		}
	}
	// Another writer on the same vault file: its own vault, as a second
	// process would open it.
	other, err := vault.Open(ctx, v.Dir(), vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	note := filepath.Join(t.TempDir(), "tea.md")
	os.WriteFile(note, []byte("# Tea\n\nGreen tea is steamed.\n"), 0o644)
	if _, err := other.Add(ctx, []string{note}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, s := range streams {
		for {
			snap, ok := next(s, 5*time.Second)
			if !ok {
				t.Fatalf("stream %d did not hear of the other writer's document", i)
			}
			if snap.Documents == 1 && snap.Indexed == 1 {
				break
			}
		}
	}
	time.Sleep(500 * time.Millisecond) // what the add's last commits sent
	for i, s := range streams {
		for len(s.snaps) > 0 {
			<-s.snaps
		}
		if snap, ok := next(s, 1500*time.Millisecond); ok {
			t.Errorf("stream %d: a snapshot with nothing changed: %+v", i, snap)
		}
	}
}
