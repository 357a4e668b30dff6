package vault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// While a long recording is transcribed, the queue tells how much of it is
// done: here the stand-in server holds the second 30-s piece back until
// the queue has been read.
func TestQueueShowsTranscriptionProgress(t *testing.T) {
	testdata.NeedFFmpeg(t)
	inner, _ := testdata.TranscriptionServer(t, "one two three four", nil)
	target, _ := url.Parse(inner.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	started, release := make(chan struct{}), make(chan struct{})
	var n atomic.Int32
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			close(started)
			<-release
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(gate.Close)
	// No VAD model: the 62.5-s memo goes in pieces of 30 s.
	v := openVault(t, Options{Neural: NeuralOptions{Models: ModelManager(t.TempDir()), Embedder: "none"},
		Transcription: TranscriptionOptions{URL: gate.URL, APIKey: "sk-test"}})
	done := make(chan error, 1)
	go func() {
		_, err := v.Add(context.Background(), []string{filepath.Join(testdata.Shared(t, "samples/audio/memo"), "planning-memo.wav")}, AddOptions{})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("add ended before the second piece: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the second piece was never sent")
	}
	q, err := v.Queue(context.Background(), 10, 0)
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) != 1 || q.Items[0].Stage != StageTranscribing || q.Items[0].Progress == nil {
		t.Fatalf("queue while transcribing: %+v", q.Items)
	}
	if p := *q.Items[0].Progress; p.DoneMS != 30000 || p.TotalMS < 62000 || p.TotalMS > 63000 {
		t.Fatalf("progress %+v: want 30 s of 62.5 s done", p)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if q, _ := v.Queue(context.Background(), 10, 0); q.Total() != 0 {
		t.Fatalf("queue after: %+v", q)
	}
}
