package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// hub is a local stand-in for Hugging Face: /{repo}/resolve/{rev}/{path},
// with range requests (http.ServeContent) and LFS-style X-Linked-Etag.
type hub struct {
	mu       sync.Mutex
	files    map[string][]byte // path → content
	announce bool              // send X-Linked-Etag with the sha256
	corrupt  bool              // flip a byte of every body
	cutOnce  map[string]bool   // abort the next response for this path half-way
	ranges   []string          // Range headers seen
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	const prefix = "/acme/tiny/resolve/main/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.NotFound(w, r)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, prefix)
	body, ok := h.files[path]
	if !ok {
		http.Error(w, `{"error":"Entry not found"}`, http.StatusNotFound)
		return
	}
	h.ranges = append(h.ranges, r.Header.Get("Range"))
	if h.announce {
		w.Header().Set("X-Linked-Etag", `"`+sum(body)+`"`)
	}
	if h.corrupt {
		body = append([]byte(nil), body...)
		body[len(body)/2] ^= 0xff
	}
	if h.cutOnce[path] {
		delete(h.cutOnce, path)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-file
	}
	http.ServeContent(w, r, path, time.Time{}, bytes.NewReader(body))
}

func testSetup(t *testing.T, withSum bool) (*Manager, *hub, []byte, []byte) {
	t.Helper()
	model := bytes.Repeat([]byte("onnx-weights-"), 50000) // 650 kB
	tok := []byte(`{"version":"1.0"}`)
	h := &hub{files: map[string][]byte{"onnx/model.onnx": model, "tokenizer.json": tok}, cutOnce: map[string]bool{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f1 := File{Path: "onnx/model.onnx", As: "model.onnx"}
	f2 := File{Path: "tokenizer.json"}
	if withSum {
		f1.SHA256, f2.SHA256 = sum(model), sum(tok)
	}
	m := &Manager{
		Dir:     t.TempDir(),
		Hub:     srv.URL,
		Catalog: Catalog{{Name: "tiny", Role: RoleEmbedder, Repo: "acme/tiny", Revision: "main", Files: []File{f1, f2}, Pooling: "cls"}},
	}
	return m, h, model, tok
}

func TestPullInstallsVerifiedFiles(t *testing.T) {
	m, _, model, tok := testSetup(t, true)
	var last int64
	m.Progress = func(_, file string, done, total int64) {
		if file == "model.onnx" {
			last = done
			if total != int64(len(model)) {
				t.Errorf("progress total %d, want %d", total, len(model))
			}
		}
	}
	inst, err := m.Pull(context.Background(), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"model.onnx": model, "tokenizer.json": tok} {
		got, err := os.ReadFile(inst.Path(name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, err %v", name, len(got), err)
		}
	}
	if last != int64(len(model)) {
		t.Errorf("progress ended at %d of %d", last, len(model))
	}
	st := m.List()
	if len(st) != 1 || !st[0].Installed || st[0].Bytes != int64(len(model)+len(tok)) {
		t.Errorf("List = %+v", st)
	}
	if got, ok := m.FirstInstalled(RoleEmbedder); !ok || got.Spec.Name != "tiny" {
		t.Errorf("FirstInstalled = %v %v", got, ok)
	}
	if err := m.Remove("tiny"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get("tiny"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("after remove: %v", err)
	}
}

func TestPullResumesAnInterruptedDownload(t *testing.T) {
	m, h, model, _ := testSetup(t, true)
	h.cutOnce["onnx/model.onnx"] = true
	_, err := m.Pull(context.Background(), "tiny")
	if err == nil || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("interrupted pull: %v", err)
	}
	if _, err := m.Get("tiny"); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("a half-downloaded model counts as installed: %v", err)
	}
	inst, err := m.Pull(context.Background(), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(inst.Path("model.onnx"))
	if !bytes.Equal(got, model) {
		t.Fatalf("resumed file differs (%d bytes)", len(got))
	}
	resumed := false
	for _, r := range h.ranges {
		resumed = resumed || strings.HasPrefix(r, "bytes=") && r != "bytes=0-"
	}
	if !resumed {
		t.Errorf("second pull did not ask for the rest (Range headers %q)", h.ranges)
	}
}

func TestPullRejectsBadFiles(t *testing.T) {
	t.Run("corrupt download", func(t *testing.T) {
		m, h, _, _ := testSetup(t, true)
		h.corrupt = true
		if _, err := m.Pull(context.Background(), "tiny"); !errors.Is(err, ErrChecksum) {
			t.Fatalf("corrupt download: %v", err)
		}
		if _, err := m.Get("tiny"); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("corrupt model installed: %v", err)
		}
		// The bad partial file is gone: a fixed server gives a good install.
		h.corrupt = false
		if _, err := m.Pull(context.Background(), "tiny"); err != nil {
			t.Errorf("pull after a corrupt one: %v", err)
		}
	})
	t.Run("wrong checksum in the catalog", func(t *testing.T) {
		m, _, _, _ := testSetup(t, true)
		m.Catalog[0].Files[1].SHA256 = strings.Repeat("0", 64)
		_, err := m.Pull(context.Background(), "tiny")
		if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "tokenizer.json") {
			t.Fatalf("wrong checksum: %v", err)
		}
	})
	t.Run("hub-announced hash", func(t *testing.T) {
		m, h, _, _ := testSetup(t, false)
		h.announce, h.corrupt = true, true
		if _, err := m.Pull(context.Background(), "tiny"); !errors.Is(err, ErrChecksum) {
			t.Fatalf("corrupt file against the announced hash: %v", err)
		}
		h.corrupt = false
		if _, err := m.Pull(context.Background(), "tiny"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		m, h, _, _ := testSetup(t, true)
		delete(h.files, "tokenizer.json")
		_, err := m.Pull(context.Background(), "tiny")
		if err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("missing file: %v", err)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		m, _, _, _ := testSetup(t, true)
		if _, err := m.Pull(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "known: tiny") {
			t.Fatalf("unknown model: %v", err)
		}
	})
}

func TestImportFromFolder(t *testing.T) {
	m, _, model, tok := testSetup(t, true)
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "onnx"), 0o755)
	os.WriteFile(filepath.Join(src, "onnx", "model.onnx"), model, 0o644) // repository layout
	os.WriteFile(filepath.Join(src, "tokenizer.json"), tok, 0o644)
	inst, err := m.Import("tiny", src)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Manifest.Files["model.onnx"] != sum(model) {
		t.Errorf("manifest %v", inst.Manifest.Files)
	}
	os.WriteFile(filepath.Join(src, "tokenizer.json"), []byte("tampered"), 0o644)
	if _, err := m.Import("tiny", src); !errors.Is(err, ErrChecksum) {
		t.Errorf("tampered import: %v", err)
	}
	// The earlier install survives a failed one.
	if _, err := m.Get("tiny"); err != nil {
		t.Errorf("failed import removed the installed model: %v", err)
	}
}

func TestBuiltinCatalog(t *testing.T) {
	c := Builtin()
	roles := map[string]int{}
	for _, s := range c {
		roles[s.Role]++
		if len(s.Files) == 0 || s.Name == "" {
			t.Errorf("%+v: no files or name", s)
		}
		if s.Role == RoleEmbedder && (s.Dims == 0 || (s.Pooling != "cls" && s.Pooling != "mean")) {
			t.Errorf("%s: embedder without dims or pooling", s.Name)
		}
	}
	for _, want := range []string{"bge-small-en-v1.5", "bge-base-en-v1.5", "e5-small-v2", "all-MiniLM-L6-v2", "gte-small",
		"multilingual-e5-small", "nomic-embed-text-v1.5", "ms-marco-MiniLM-L-6-v2", "bge-reranker-base", "silero-vad"} {
		if _, ok := c.Find(want); !ok {
			t.Errorf("catalog lacks %s", want)
		}
	}
	if roles[RoleEmbedder] < 7 || roles[RoleReranker] < 2 || roles[RoleVAD] < 1 {
		t.Errorf("roles %v", roles)
	}
}
