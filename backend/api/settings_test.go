package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// An upload's files are indexed in the background; /api/queue/outcomes
// then says what became of each: added, the same content as a file already
// stored (linked), or failed, and pending for a path it never had.
func TestUploadOutcomes(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token, EventInterval: 20 * time.Millisecond})
	upload := func(files ...[2]string) []string {
		t.Helper()
		body, ct := multipartFiles(t, files...)
		code, resp := do(t, "POST", srv.URL+"/api/documents", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ct})
		var q wire.Queued
		if code != 202 || json.Unmarshal(resp, &q) != nil {
			t.Fatalf("upload: %d %s", code, resp)
		}
		return q.Queued
	}
	tea := [2]string{"tea.md", "# Tea\n\nGreen tea is made from steamed leaves.\n"}
	paths := upload(tea, [2]string{"broken.pdf", "%PDF-1.4 this is not a PDF at all"})
	waitIdle(t, srv.URL, 2)
	paths = append(paths, upload([2]string{"tea again.md", tea[1]})...)
	waitIdle(t, srv.URL, 2)
	paths = append(paths, filepath.Join(t.TempDir(), "never-queued.md"))

	outcomes := func() []wire.Outcome {
		b, _ := json.Marshal(map[string][]string{"paths": paths})
		code, resp := do(t, "POST", srv.URL+"/api/queue/outcomes", strings.NewReader(string(b)), map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
		var got struct{ Items []wire.Outcome }
		if code != 200 || json.Unmarshal(resp, &got) != nil {
			t.Fatalf("outcomes: %d %s", code, resp)
		}
		return got.Items
	}
	// The second upload's outcome may be recorded just after the event
	// that showed the queue empty.
	var got []wire.Outcome
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got = outcomes(); got[2].Outcome != "pending" {
			break
		}
	}
	want := []vault.Outcome{vault.OutIndexed, vault.OutFailed, vault.OutLinked, "pending"}
	if len(got) != len(want) {
		t.Fatalf("outcomes: %+v", got)
	}
	for i, o := range got {
		if o.Path != paths[i] || vault.Outcome(o.Outcome) != want[i] {
			t.Errorf("%s: %s (%s), want %s", filepath.Base(paths[i]), o.Outcome, o.Reason, want[i])
		}
	}
	if got[1].Reason == "" {
		t.Errorf("a failed file says why: %+v", got[1])
	}
	if code, _ := do(t, "POST", srv.URL+"/api/queue/outcomes", strings.NewReader(`{"paths":`), map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}); code != 400 {
		t.Errorf("a broken body: %d", code)
	}
}

// Settings' Test button: a server that is not there is named as such (not
// "saved"), one that answers lists its models, and a model it lacks is said.
func TestLLMTest(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token})
	ollama := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/tags" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"models":[{"name":"llama3.2:latest"},{"name":"qwen2.5:7b"}]}`))
	}))
	t.Cleanup(ollama.Close)
	// An address where nothing listens: a port taken, then let go.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name, body string
		reachable  bool
		model      string
		models     int
		errText    string
	}{
		{"nothing listens", `{"kind":"ollama","url":"` + gone + `"}`, false, "", 0, "Nothing answers at " + gone},
		{"openai with nothing listening", `{"kind":"openai","url":"` + gone + `"}`, false, "", 0, "is the server running"},
		{"openai without an address", `{"kind":"openai"}`, false, "", 0, "needs its address"},
		{"the first model", `{"kind":"ollama","url":"` + ollama.URL + `"}`, true, "llama3.2:latest", 2, ""},
		{"the model asked for", `{"kind":"auto","url":"` + ollama.URL + `","model":"qwen2.5:7b"}`, true, "qwen2.5:7b", 2, ""},
		{"a model it lacks", `{"kind":"ollama","url":"` + ollama.URL + `","model":"mistral"}`, true, "", 2, "does not have mistral"},
		{"none", `{"kind":"none"}`, true, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, resp := do(t, "POST", srv.URL+"/api/llm/test", strings.NewReader(tc.body), map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
			var got wire.LLMTest
			if code != 200 || json.Unmarshal(resp, &got) != nil {
				t.Fatalf("%d %s", code, resp)
			}
			if got.Reachable != tc.reachable || got.Model != tc.model || len(got.Models) != tc.models || !strings.Contains(got.Error, tc.errText) || (tc.errText == "") != (got.Error == "") {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// Models: a model is imported from a folder on this machine (an offline
// machine's way in), checked against the catalog; a folder without its
// files is refused and says which is missing.
func TestImportModelFromFolder(t *testing.T) {
	weights := []byte(strings.Repeat("weights-", 4096))
	sum := sha256.Sum256(weights)
	m := &models.Manager{Dir: t.TempDir(), Hub: "http://hub.invalid", Catalog: models.Catalog{
		{Name: "tiny", Role: models.RoleEmbedder, Repo: "acme/tiny", Files: []models.File{{Path: "onnx/model.onnx", SHA256: hex.EncodeToString(sum[:])}}},
	}}
	v, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: m}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	srv := httptest.NewServer(api.New(v, api.Options{Token: token}).Handler())
	t.Cleanup(srv.Close)
	auth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}

	empty, full := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "model.onnx"), weights, 0o644); err != nil {
		t.Fatal(err)
	}
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	for _, tc := range []struct {
		name, model, body string
		code              int
		says              string
	}{
		{"no folder", "tiny", `{}`, 400, "from"},
		{"files missing", "tiny", `{"from":` + quote(empty) + `}`, 400, "model.onnx is missing"},
		{"unknown model", "nope", `{"from":` + quote(full) + `}`, 400, "nope"},
		{"imported", "tiny", `{"from":` + quote(full) + `}`, 200, "installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, resp := do(t, "POST", srv.URL+"/api/models/"+tc.model+"/import", strings.NewReader(tc.body), auth)
			if code != tc.code || !strings.Contains(string(resp), tc.says) {
				t.Errorf("%d %s, want %d saying %q", code, resp, tc.code, tc.says)
			}
		})
	}
	var ms []models.Status
	getJSON(t, srv.URL+"/api/models", &ms)
	if len(ms) != 1 || !ms[0].Installed {
		t.Errorf("after the import: %+v", ms)
	}
}
