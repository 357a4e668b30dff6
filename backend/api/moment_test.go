package api_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/vault"
)

// GET /api/search gives a voice note's hit the moment its words are spoken
// (time.start_ms) and its passage's span, the fields the UI reads.
func TestSearchCitesTheMoment(t *testing.T) {
	testdata.NeedFFmpeg(t)
	wav, sentences := testdata.PlanningMemo(t)
	tsrv := testdata.TimedTranscriptionServer(t, wav, testdata.SpreadWords(sentences))
	srv, v := newServer(t, api.Options{Token: token})
	ctx := context.Background()
	if err := v.SetTranscription(ctx, vault.TranscriptionOptions{URL: tsrv.URL}); err != nil {
		t.Fatal(err)
	}
	memo := filepath.Join(t.TempDir(), "planning-memo.wav")
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(memo, data, 0o644)
	if _, err := v.Add(ctx, []string{memo}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "GET", srv.URL+"/api/search?q=city+offers+monthly+permits", nil, map[string]string{"Authorization": "Bearer " + token})
	var res struct {
		Hits []map[string]json.RawMessage `json:"hits"`
	}
	if code != 200 || json.Unmarshal(body, &res) != nil || len(res.Hits) == 0 {
		t.Fatalf("search: %d %s", code, body)
	}
	var tm, passage struct {
		StartMS int64 `json:"start_ms"`
		EndMS   int64 `json:"end_ms"`
	}
	if json.Unmarshal(res.Hits[0]["time"], &tm) != nil || json.Unmarshal(res.Hits[0]["passage"], &passage) != nil {
		t.Fatalf("no time or passage: %s", body)
	}
	at, want := tm.StartMS, int64(sentences[7].Start*1000) // the eighth sentence
	if d := at - want; d < -1000 || d > 1000 || passage.StartMS > at || passage.EndMS < at {
		t.Fatalf("cited at %d ms, spoken at %d ms: %s", at, want, body)
	}
}

// Settings' Test button: POST /api/transcription/test transcribes the
// recording sent with the engine in force and stores nothing; with no
// engine it says what to set up.
func TestTranscriptionTest(t *testing.T) {
	testdata.NeedFFmpeg(t)
	srv, v := newServer(t, api.Options{Token: token})
	ctx := context.Background()
	jfk, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": "Bearer " + token}
	send := func() (int, []byte) {
		body, ct := multipartFiles(t, [2]string{"jfk.mp3", string(jfk)})
		return do(t, "POST", srv.URL+"/api/transcription/test", body, map[string]string{"Authorization": auth["Authorization"], "Content-Type": ct})
	}
	if code, body := send(); code != 400 || !strings.Contains(string(body), "transcription") {
		t.Fatalf("with no engine: %d %s", code, body)
	}
	tsrv, pieces := testdata.TranscriptionServer(t, testdata.JFKText, nil)
	if err := v.SetTranscription(ctx, vault.TranscriptionOptions{URL: tsrv.URL, APIKey: "sk-test"}); err != nil {
		t.Fatal(err)
	}
	code, body := send()
	var res vault.TranscriptionTest
	if code != 200 || json.Unmarshal(body, &res) != nil {
		t.Fatalf("test: %d %s", code, body)
	}
	if res.Engine != "server" || !strings.Contains(res.Text, "ask not what your country") || res.AudioSeconds < 10 || res.AudioSeconds > 12 || len(*pieces) == 0 {
		t.Fatalf("test result %+v (%d pieces)", res, len(*pieces))
	}
	// The built-in sample: its words are known, so the answer says how many
	// the engine got wrong (the stand-in always answers JFK's words).
	code, body = do(t, "POST", srv.URL+"/api/transcription/test?sample=1", nil, auth)
	var sample vault.TranscriptionTest
	if code != 200 || json.Unmarshal(body, &sample) != nil || sample.WER == nil || *sample.WER < 0.5 || !strings.Contains(sample.Expected, "hiring plan") || sample.AudioSeconds < 10 {
		t.Fatalf("sample test: %d %s", code, body)
	}
	if st, _ := v.Status(ctx); st.Documents != 0 {
		t.Fatalf("a test stored %d documents", st.Documents)
	}
}

// A voice note waiting for an engine can be cancelled: it leaves the queue
// and its uploaded copy leaves the vault; a missing id is 404.
func TestCancelWaitingVoiceNote(t *testing.T) {
	testdata.NeedFFmpeg(t)
	srv, v := newServer(t, api.Options{Token: token})
	ctx := context.Background()
	if err := v.SetTranscription(ctx, vault.TranscriptionOptions{Off: true}); err != nil {
		t.Fatal(err)
	}
	jfk, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + token
	body, ct := multipartFiles(t, [2]string{"memo.mp3", string(jfk)})
	if code, resp := do(t, "POST", srv.URL+"/api/documents?wait=1", body, map[string]string{"Authorization": auth, "Content-Type": ct}); code != 200 {
		t.Fatalf("upload: %d %s", code, resp)
	}
	q, err := v.Queue(ctx, 10, 0)
	if err != nil || q.Waiting != 1 || len(q.Items) != 1 {
		t.Fatalf("queue %+v %v: want the memo waiting", q, err)
	}
	item := q.Items[0]
	if _, err := os.Stat(item.Path); err != nil {
		t.Fatalf("the uploaded copy: %v", err)
	}
	code, resp := do(t, "DELETE", srv.URL+"/api/queue/"+strconv.FormatInt(item.ID, 10), nil, map[string]string{"Authorization": auth})
	if code != 200 || !strings.Contains(string(resp), "memo.mp3") {
		t.Fatalf("cancel: %d %s", code, resp)
	}
	if q, _ := v.Queue(ctx, 10, 0); q.Total() != 0 {
		t.Fatalf("queue after cancel: %+v", q)
	}
	if _, err := os.Stat(item.Path); !os.IsNotExist(err) {
		t.Fatalf("the uploaded copy stayed: %v", err)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/api/queue/"+strconv.FormatInt(item.ID, 10), nil, map[string]string{"Authorization": auth}); code != 404 {
		t.Fatalf("cancel again: %d, want 404", code)
	}
}
