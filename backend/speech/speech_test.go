package speech

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/models"
)

var errMissing = errors.New("no engine")

func newVoice(t *testing.T, fixed Options) (*Voice, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hoard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := models.NewManager(t.TempDir()) // nothing installed
	v := New(Config{Fixed: fixed, Settings: st, Models: func() *models.Manager { return m }, Log: slog.New(slog.DiscardHandler), Missing: errMissing})
	t.Cleanup(v.Close)
	return v, st
}

// The vault's options win over the stored ones only when they name an
// engine; what Set refuses is not stored.
func TestOptionsInForce(t *testing.T) {
	ctx := context.Background()
	server := Options{URL: "http://127.0.0.1:9/v1/audio/transcriptions", Model: "m"}
	cases := []struct {
		name    string
		fixed   Options
		set     Options
		setErr  string
		want    Options
		engine  string
		noteHas string
	}{
		{name: "stored server", set: server, want: server, engine: "server"},
		{name: "fixed wins", fixed: Options{URL: "http://fixed:1"}, set: server, want: Options{URL: "http://fixed:1"}, engine: "server"},
		{name: "off", set: Options{Off: true}, want: Options{Off: true}, noteHas: "transcription is off"},
		{name: "bad url", set: Options{URL: "ftp://x"}, setErr: "want an http(s) URL"},
		{name: "not whisper", set: Options{Whisper: "bge-small-en-v1.5"}, setErr: "is not a whisper model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, st := newVoice(t, tc.fixed)
			err := v.Set(ctx, tc.set)
			if tc.setErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.setErr) {
					t.Fatalf("Set(%+v) = %v, want %q", tc.set, err, tc.setErr)
				}
				if raw, _ := st.Setting(ctx, Key); raw != "" {
					t.Fatalf("refused options stored: %s", raw)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Options(ctx)
			if err != nil || got != tc.want {
				t.Fatalf("Options = %+v, %v; want %+v", got, err, tc.want)
			}
			s := v.Status(ctx)
			if s.Engine != tc.engine || !strings.Contains(s.Note, tc.noteHas) {
				t.Fatalf("Status = %+v; want engine %q, note with %q", s, tc.engine, tc.noteHas)
			}
		})
	}
}

// With no engine, the test says so with the configured error and the
// pipeline is nil.
func TestNoEngine(t *testing.T) {
	v, _ := newVoice(t, Options{})
	if err := v.Set(context.Background(), Options{Off: true}); err != nil {
		t.Fatal(err)
	}
	if tr, err := v.Pipeline(); tr != nil || err != nil {
		t.Fatalf("Pipeline = %v, %v; want none", tr, err)
	}
	if _, err := v.Test(context.Background(), t.TempDir(), ""); !errors.Is(err, errMissing) {
		t.Fatalf("Test = %v, want %v", err, errMissing)
	}
}

func TestCheckStored(t *testing.T) {
	for raw, ok := range map[string]bool{
		`{"url":"https://stt.example/v1"}`: true,
		`{"whisper":"whisper-base"}`:       true,
		`{"url":"file:///etc/passwd"}`:     false,
		`not json`:                         false,
	} {
		if err := CheckStored(raw); (err == nil) != ok {
			t.Errorf("CheckStored(%s) = %v, want ok %v", raw, err, ok)
		}
	}
}
