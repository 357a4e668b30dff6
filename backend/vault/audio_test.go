package vault

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/store"
)

func needAudioTools(t *testing.T) {
	t.Helper()
	testdata.NeedFFmpeg(t)
	if lib, _ := infer.FindLibrary(""); lib == "" && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
		t.Skip("ONNX Runtime not installed (run `make ort`)")
	}
}

// A voice note waits in the queue until an engine is configured, then
// becomes a document whose chunks carry the times they were spoken; hits
// say where in the recording.
func TestVoiceNotesWaitThenTranscribe(t *testing.T) {
	needAudioTools(t)
	ctx := context.Background()
	mm := ModelManager(t.TempDir())
	if _, err := mm.Import("silero-vad", testdata.Shared(t, "models/vad")); err != nil {
		t.Fatal(err)
	}
	v := openVault(t, Options{Neural: NeuralOptions{Models: mm}})
	src := t.TempDir()
	data, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	memo := filepath.Join(src, "memo.mp3")
	os.WriteFile(memo, data, 0o644)
	writeFile(t, filepath.Join(src, "note.md"), "# Note\n\nA plain note about inaugural speeches.")

	sum, err := v.Add(ctx, []string{src}, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != 1 || len(sum.Waiting) != 1 || sum.Waiting[0].Path != memo || len(sum.Failed) != 0 {
		t.Fatalf("without an engine: %+v; want the note indexed and the memo waiting", sum)
	}
	q, _ := v.Queue(ctx, 10, 0)
	if q.Waiting != 1 || !strings.Contains(q.Items[0].Reason, "waiting for a transcription engine") {
		t.Fatalf("queue: %+v", q)
	}
	// Nothing changes on another run: the memo still waits, never dropped.
	if sum, _ := v.Add(ctx, nil, AddOptions{}); len(sum.Waiting) != 0 || sum.Indexed != 0 {
		t.Fatalf("a run without an engine touched the waiting memo: %+v", sum)
	}

	// An engine that cannot run keeps the memo waiting, and says why.
	if err := v.SetTranscription(ctx, TranscriptionOptions{Whisper: "whisper-huge"}); err == nil {
		t.Fatal("an unknown whisper model must be refused")
	}
	if err := v.SetTranscription(ctx, TranscriptionOptions{Whisper: "whisper-base"}); err != nil {
		t.Fatal(err)
	}
	sum, err = v.Add(ctx, nil, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Waiting) != 1 || !strings.Contains(sum.Waiting[0].Reason, "hoard models pull whisper-base") {
		t.Fatalf("with an uninstalled whisper model: %+v", sum)
	}

	srv, pieces := testdata.TranscriptionServer(t, testdata.JFKText, nil)
	if err := v.SetTranscription(ctx, TranscriptionOptions{URL: "ftp://x"}); err == nil {
		t.Fatal("a non-http URL must be refused")
	}
	if err := v.SetTranscription(ctx, TranscriptionOptions{URL: srv.URL, APIKey: "sk-test", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	sum, err = v.Add(ctx, nil, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != 1 || len(*pieces) != 1 {
		t.Fatalf("with an engine: %+v, %d pieces sent", sum, len(*pieces))
	}
	if (*pieces)[0] >= 11*time.Second {
		t.Errorf("the VAD did not trim the silence: %s sent", (*pieces)[0])
	}
	hits := mustSearch(t, v, "ask not what your country can do")
	if len(hits) == 0 || hits[0].Path != memo || hits[0].Time == nil {
		t.Fatalf("hits %+v", hits)
	}
	if tm := hits[0].Time; tm.StartMS < 0 || tm.StartMS > 2000 || tm.EndMS < 8000 || tm.EndMS > 11500 {
		t.Fatalf("hit time %+v: want the speech, about 0:00–0:11", tm)
	}
	doc, err := v.Document(ctx, hits[0].DocID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != "audio/mpeg" || doc.Metadata["language"] != "en" {
		t.Fatalf("document %+v", doc)
	}
	if q, _ := v.Queue(ctx, 1, 0); q.Total() != 0 {
		t.Fatalf("queue not empty: %+v", q)
	}
}

// An engine that is down is retried with backoff, then the failure is
// recorded with its reason once the attempts run out.
func TestTranscriptionRetriesThenFails(t *testing.T) {
	needAudioTools(t)
	ctx := context.Background()
	code := http.StatusServiceUnavailable
	srv, _ := testdata.TranscriptionServer(t, testdata.JFKText, &code)
	v := openVault(t, Options{RetryBase: 50 * time.Millisecond, MaxAttempts: 3,
		Transcription: TranscriptionOptions{URL: srv.URL, APIKey: "sk-test"}})
	memo := filepath.Join(t.TempDir(), "trees.m4a")
	data, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/misc"), "trees.m4a"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(memo, data, 0o644)
	sum, err := v.Add(ctx, []string{memo}, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Retrying) != 1 || !strings.Contains(sum.Retrying[0].Reason, "503") {
		t.Fatalf("first attempt: %+v", sum)
	}
	q, _ := v.Queue(ctx, 1, 0)
	if q.Retrying != 1 || q.Items[0].Attempts != 1 || !q.Items[0].NotBefore.After(time.Now().Add(-time.Second)) {
		t.Fatalf("queue after a transient failure: %+v", q)
	}
	// Not due yet: a run right away leaves it alone.
	if sum, _ := v.Drain(ctx, AddOptions{}); len(sum.Retrying) != 0 {
		t.Fatalf("retried before its backoff: %+v", sum)
	}
	var failed []Failure
	for i := 0; i < 20 && len(failed) == 0; i++ {
		time.Sleep(120 * time.Millisecond)
		sum, err := v.Drain(ctx, AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		failed = sum.Failed
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Reason, "gave up after 3 attempts") {
		t.Fatalf("want a recorded failure after 3 attempts: %+v", failed)
	}
	docs, _, err := v.Documents(ctx, store.ListOptions{Status: store.StatusFailed})
	if err != nil || len(docs) != 1 || !strings.Contains(docs[0].Error, "503") {
		t.Fatalf("failed document: %+v %v", docs, err)
	}
	if q, _ := v.Queue(ctx, 1, 0); q.Total() != 0 {
		t.Fatalf("the queue still holds it: %+v", q)
	}
	// The engine comes back; a changed file is indexed normally.
	code = http.StatusOK
	if _, err := v.Add(ctx, []string{memo}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if hits := mustSearch(t, v, "fellow Americans"); len(hits) == 0 || hits[0].Path != memo {
		t.Fatalf("after the engine came back: %+v", hits)
	}
}
