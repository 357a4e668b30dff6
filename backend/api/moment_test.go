package api_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
