package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// multipartFiles builds an upload body from name → content.
func multipartFiles(t *testing.T, files ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, f[1])
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	code, body := do(t, "GET", u, nil, map[string]string{"Authorization": "Bearer " + token})
	if code != 200 {
		t.Fatalf("GET %s: %d %s", u, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", u, err, body)
	}
}

// waitIdle reads /api/events until the vault holds want documents and the
// queue is empty, and returns the stages files were seen in.
func waitIdle(t *testing.T, base string, want int) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: content type %q", ct)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	lastSeq := 0
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var snap struct {
			wire.Snapshot
			Queue struct {
				vault.QueueStats
				Items []struct {
					State string `json:"state"`
					Stage string `json:"stage"`
				} `json:"items"`
			} `json:"queue"`
		}
		if err := json.Unmarshal([]byte(data), &snap); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if snap.Seq <= lastSeq {
			t.Fatalf("event sequence went from %d to %d", lastSeq, snap.Seq)
		}
		lastSeq = snap.Seq
		for _, it := range snap.Queue.Items {
			seen[it.State+"/"+it.Stage] = true
		}
		if snap.Documents == want && snap.Queue.Total() == 0 {
			return seen
		}
	}
	t.Fatalf("events ended before the vault held %d documents: %v", want, sc.Err())
	return nil
}

// The library's management through the API: background uploads followed
// live, sorting and filtering, collections, moving, re-indexing, the
// original file and its rendered pages, export and import, settings.
func TestLibraryManagement(t *testing.T) {
	var opened []string
	srv, _ := newServer(t, api.Options{Token: token, EventInterval: 20 * time.Millisecond, Open: func(p string, page int) error {
		opened = append(opened, filepath.Base(p)+"#"+formatInt(int64(page)))
		return nil
	}})
	auth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	pdfPath := filepath.Join(testdata.Shared(t, "samples/docs"), "unstructured", "list-item-example.pdf")
	pdf, err := os.ReadFile(pdfPath)
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartFiles(t, [2]string{"list-item-example.pdf", string(pdf)}, [2]string{"tea.md", "# Tea\n\nGreen tea is made from steamed leaves.\n"})
	code, resp := do(t, "POST", srv.URL+"/api/documents", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ct})
	var queued wire.Queued
	if code != 202 || json.Unmarshal(resp, &queued) != nil || len(queued.Queued) != 2 {
		t.Fatalf("background upload: %d %s", code, resp)
	}
	waitIdle(t, srv.URL, 2)

	type docPage struct {
		Items []wire.DocumentInfo `json:"items"`
		Total int                 `json:"total"`
	}
	var byTitle, filtered docPage
	getJSON(t, srv.URL+"/api/documents?sort=title", &byTitle)
	if byTitle.Total != 2 || byTitle.Items[0].Title >= byTitle.Items[1].Title {
		t.Fatalf("sort by title: %+v", byTitle.Items)
	}
	getJSON(t, srv.URL+"/api/documents?sort=-title", &filtered)
	if filtered.Items[0].ID != byTitle.Items[1].ID {
		t.Errorf("reverse title order: %+v", filtered.Items)
	}
	getJSON(t, srv.URL+"/api/documents?q=TEA.md", &filtered)
	if filtered.Total != 1 || filtered.Items[0].Title != "Tea" {
		t.Errorf("filter by path: %+v", filtered)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/documents?sort=colour", nil, auth); code != 400 {
		t.Errorf("unknown sort: %d", code)
	}
	var pdfDoc, tea wire.DocumentInfo
	for _, d := range byTitle.Items {
		if d.MediaType == "application/pdf" {
			pdfDoc = d
		} else {
			tea = d
		}
	}
	if pdfDoc.Pages != 2 {
		t.Fatalf("pdf document: %+v", pdfDoc)
	}

	// The original file, and its second page drawn for the page view.
	code, resp = do(t, "GET", srv.URL+"/api/documents/"+itoa(pdfDoc.ID)+"/file", nil, auth)
	if code != 200 || !bytes.Equal(resp, pdf) {
		t.Errorf("file: %d, %d bytes (want %d)", code, len(resp), len(pdf))
	}
	code, resp = do(t, "GET", srv.URL+"/api/documents/"+itoa(pdfDoc.ID)+"/pages/2?width=600", nil, auth)
	img, err := png.Decode(bytes.NewReader(resp))
	if code != 200 || err != nil || img.Bounds().Dx() < 590 || img.Bounds().Dx() > 610 {
		t.Fatalf("page 2: %d %v", code, err)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/pages/3", 404}, {"/pages/0", 404}, {"/pages/x", 400},
	} {
		if code, b := do(t, "GET", srv.URL+"/api/documents/"+itoa(pdfDoc.ID)+tc.path, nil, auth); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.path, code, b, tc.want)
		}
	}
	if code, _ := do(t, "GET", srv.URL+"/api/documents/"+itoa(tea.ID)+"/pages/1", nil, auth); code != 404 {
		t.Errorf("a page of markdown: %d", code)
	}
	// The page's words with their boxes, for the viewer's text layer.
	if _, err := exec.LookPath("pdftotext"); err == nil {
		code, resp = do(t, "GET", srv.URL+"/api/documents/"+itoa(pdfDoc.ID)+"/pages/2/layout", nil, auth)
		var l struct {
			Page          int
			Width, Height float64
			Lines         []struct {
				Words []struct {
					X, Y, W, H float64
					T          string
				}
			}
		}
		if err := json.Unmarshal(resp, &l); code != 200 || err != nil || l.Page != 2 || l.Width <= 0 || len(l.Lines) == 0 {
			t.Fatalf("layout of page 2: %d %v %.300s", code, err, resp)
		}
		var words []string
		for _, ln := range l.Lines {
			for _, w := range ln.Words {
				words = append(words, w.T)
			}
		}
		if !strings.Contains(strings.Join(words, " "), "Design considerations") {
			t.Errorf("layout of page 2 lacks its heading: %q", words)
		}
		for _, tc := range []struct {
			path string
			want int
		}{{"/pages/3/layout", 404}, {"/pages/0/layout", 404}} {
			if code, b := do(t, "GET", srv.URL+"/api/documents/"+itoa(pdfDoc.ID)+tc.path, nil, auth); code != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.path, code, b, tc.want)
			}
		}
		if code, _ := do(t, "GET", srv.URL+"/api/documents/"+itoa(tea.ID)+"/pages/1/layout", nil, auth); code != 404 {
			t.Errorf("the layout of markdown: %d", code)
		}
	}
	if code, b := do(t, "POST", srv.URL+"/api/documents/"+itoa(pdfDoc.ID)+"/open", strings.NewReader(`{"page":2}`), auth); code != 204 || len(opened) != 1 || opened[0] != "list-item-example.pdf#2" {
		t.Errorf("open: %d %s %v", code, b, opened)
	}

	// Collections: create, rename, weigh, move a document in, delete.
	post := func(path, body string) (int, []byte) {
		return do(t, "POST", srv.URL+path, strings.NewReader(body), auth)
	}
	if code, b := post("/api/collections", `{"name":"Work","weight":2}`); code != 201 || !strings.Contains(string(b), `"weight":2`) {
		t.Fatalf("create collection: %d %s", code, b)
	}
	if code, _ := post("/api/collections", `{"name":"Work"}`); code != 409 {
		t.Errorf("duplicate collection: %d", code)
	}
	if code, _ := post("/api/collections", `{"name":"  "}`); code != 400 {
		t.Errorf("blank name: %d", code)
	}
	if code, b := do(t, "PATCH", srv.URL+"/api/collections/Work", strings.NewReader(`{"name":"Projects","weight":1.5}`), auth); code != 200 || !strings.Contains(string(b), `"name":"Projects","weight":1.5`) {
		t.Fatalf("rename collection: %d %s", code, b)
	}
	if code, b := do(t, "PATCH", srv.URL+"/api/documents/"+itoa(tea.ID), strings.NewReader(`{"collection":"Projects"}`), auth); code != 200 || !strings.Contains(string(b), `"collection":"Projects"`) {
		t.Fatalf("move document: %d %s", code, b)
	}
	var hits struct {
		Hits []struct {
			DocID int64 `json:"doc_id"`
		} `json:"hits"`
	}
	getJSON(t, srv.URL+"/api/search?q=green+tea&collection=Projects", &hits)
	if len(hits.Hits) == 0 || hits.Hits[0].DocID != tea.ID {
		t.Errorf("search in the new collection: %+v", hits)
	}
	getJSON(t, srv.URL+"/api/search?q=green+tea&collection=library", &hits)
	if len(hits.Hits) != 0 {
		t.Errorf("the old collection still finds it: %+v", hits)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/api/collections/Projects", nil, auth); code != 409 {
		t.Errorf("deleting a collection with documents: %d", code)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/api/collections/nope", nil, auth); code != 404 {
		t.Errorf("deleting a missing collection: %d", code)
	}

	// Re-index reads the file again into a new document.
	if code, b := post("/api/documents/"+itoa(pdfDoc.ID)+"/reindex", ""); code != 202 {
		t.Fatalf("reindex: %d %s", code, b)
	}
	waitIdle(t, srv.URL, 2)
	getJSON(t, srv.URL+"/api/documents?q=list-item", &filtered)
	if filtered.Total != 1 || filtered.Items[0].ID == pdfDoc.ID || filtered.Items[0].Status != "indexed" || filtered.Items[0].Chunks == 0 {
		t.Errorf("after re-index: %+v", filtered.Items)
	}

	// Export, and import into another vault.
	code, export := do(t, "GET", srv.URL+"/api/export", nil, auth)
	if code != 200 || len(export) < 100 {
		t.Fatalf("export: %d, %d bytes", code, len(export))
	}
	other, _ := newServer(t, api.Options{Token: token})
	body, ct = multipartFiles(t, [2]string{"vault.hoard", string(export)})
	code, resp = do(t, "POST", other.URL+"/api/import", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ct})
	if code != 200 || !strings.Contains(string(resp), `"added":2`) {
		t.Fatalf("import: %d %s", code, resp)
	}
	getJSON(t, other.URL+"/api/search?q=prototyping+methodologies", &hits)
	if len(hits.Hits) == 0 {
		t.Error("the imported vault finds nothing")
	}
	body, ct = multipartFiles(t, [2]string{"junk.hoard", "not an export"})
	if code, b := do(t, "POST", other.URL+"/api/import", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ct}); code != 400 || !strings.Contains(string(b), "import junk.hoard: not a Hoard export") {
		t.Errorf("importing junk: %d %s", code, b)
	}

	// Settings: the language model (key masked), the model catalog.
	put := func(path, body string) (int, []byte) {
		return do(t, "PUT", srv.URL+path, strings.NewReader(body), auth)
	}
	if code, b := put("/api/llm", `{"kind":"openai","url":"http://127.0.0.1:9/v1","model":"m","api_key":"secret"}`); code != 200 || strings.Contains(string(b), "secret") || !strings.Contains(string(b), `"api_key":"********"`) {
		t.Errorf("set llm: %d %s", code, b)
	}
	if code, _ := put("/api/llm", `{"kind":"openai"}`); code != 400 {
		t.Errorf("openai without a URL: %d", code)
	}
	if code, _ := put("/api/llm", `{"kind":"telepathy"}`); code != 400 {
		t.Errorf("unknown kind: %d", code)
	}
	var ms []struct {
		Spec struct {
			Name string `json:"name"`
			Role string `json:"role"`
		} `json:"spec"`
		Installed bool `json:"installed"`
	}
	getJSON(t, srv.URL+"/api/models", &ms)
	if len(ms) < 3 || ms[0].Spec.Name == "" || ms[0].Installed {
		t.Errorf("models: %+v", ms)
	}
}

// Without the desktop app, opening in the system viewer is refused plainly.
func TestOpenNeedsTheDesktop(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token})
	code, b := do(t, "POST", srv.URL+"/api/documents/1/open", nil, map[string]string{"Authorization": "Bearer " + token})
	if code != 501 || !strings.Contains(string(b), "desktop app") {
		t.Errorf("open: %d %s", code, b)
	}
}

// A model download from the settings screen: progress events, then "done",
// and the model is listed as installed; a bad checksum is an error event.
func TestPullModelStreamsProgress(t *testing.T) {
	weights := bytes.Repeat([]byte("weights-"), 200000) // 1.6 MB
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/acme/tiny/resolve/main/model.onnx" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "model.onnx", time.Time{}, bytes.NewReader(weights))
	}))
	t.Cleanup(hub.Close)
	sum := sha256.Sum256(weights)
	m := &models.Manager{Dir: t.TempDir(), Hub: hub.URL, Catalog: models.Catalog{
		{Name: "tiny", Role: models.RoleEmbedder, Repo: "acme/tiny", Files: []models.File{{Path: "model.onnx", SHA256: hex.EncodeToString(sum[:])}}},
		{Name: "broken", Role: models.RoleEmbedder, Repo: "acme/tiny", Files: []models.File{{Path: "model.onnx", SHA256: strings.Repeat("0", 64)}}},
	}}
	v, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: m}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	srv := httptest.NewServer(api.New(v, api.Options{Token: token}).Handler())
	t.Cleanup(srv.Close)

	events := func(name string) (kinds []string, last string) {
		code, body := do(t, "POST", srv.URL+"/api/models/"+name+"/pull", nil, map[string]string{"Authorization": "Bearer " + token})
		if code != 200 {
			t.Fatalf("pull %s: %d %s", name, code, body)
		}
		for _, line := range strings.Split(string(body), "\n") {
			if ev, ok := strings.CutPrefix(line, "event: "); ok {
				kinds = append(kinds, ev)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				last = data
			}
		}
		return kinds, last
	}
	kinds, last := events("tiny")
	if len(kinds) < 2 || kinds[0] != "progress" || kinds[len(kinds)-1] != "done" {
		t.Fatalf("pull events: %v (%s)", kinds, last)
	}
	var ms []struct {
		Spec struct {
			Name string `json:"name"`
		} `json:"spec"`
		Installed bool  `json:"installed"`
		Bytes     int64 `json:"bytes"`
	}
	getJSON(t, srv.URL+"/api/models", &ms)
	if ms[0].Spec.Name != "tiny" || !ms[0].Installed || ms[0].Bytes != int64(len(weights)) {
		t.Errorf("after the pull: %+v", ms)
	}
	kinds, last = events("broken")
	if kinds[len(kinds)-1] != "error" || !strings.Contains(last, "checksum") {
		t.Errorf("a bad download: %v %s", kinds, last)
	}
	if kinds, last = events("nope"); kinds[len(kinds)-1] != "error" {
		t.Errorf("an unknown model: %v %s", kinds, last)
	}
}

// gzipLines is an export file made of raw JSON lines.
func gzipLines(t *testing.T, lines ...string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, l := range lines {
		io.WriteString(zw, l+"\n")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A crafted export through /api/import: a compression bomb is refused with
// a clear error and the server lives on; a document that names a local
// file is imported, but /api/file never serves that file and a re-index
// never reads it.
func TestImportOfCraftedExports(t *testing.T) {
	srv, v := newServer(t, api.Options{Token: token})
	auth := map[string]string{"Authorization": "Bearer " + token}
	header := `{"format":"hoard-export","version":1,"schema_version":10,"exported_at":"2025-01-01T00:00:00Z","documents":1}`
	upload := func(name, content string) (int, []byte) {
		body, ct := multipartFiles(t, [2]string{name, content})
		return do(t, "POST", srv.URL+"/api/import", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ct})
	}

	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	io.WriteString(zw, header+"\n"+`{"document":{"title":"bomb","status":"indexed","text":"`)
	block := bytes.Repeat([]byte("a"), 1<<20)
	for range 1 << 10 { // 1 GiB unpacked
		zw.Write(block)
	}
	zw.Close()
	code, b := upload("bomb.hoard", bomb.String())
	if code != 400 || !strings.Contains(string(b), "import bomb.hoard: record 1 is over 128 MiB") {
		t.Errorf("bomb: %d %s", code, b)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/status", nil, auth); code != 200 {
		t.Fatalf("the server after the bomb: %d", code)
	}

	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("quokka-passphrase-99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	targets := []string{secret}
	if _, err := os.Stat("/etc/hostname"); err == nil {
		targets = append(targets, "/etc/hostname")
	}
	for i, target := range targets {
		doc, _ := json.Marshal(map[string]any{"document": map[string]any{
			"collection": "library", "hash": fmt.Sprintf("h%d", i), "media_type": "text/plain", "title": fmt.Sprintf("innocent %d", i), "status": "indexed",
			"text": "A note about wombats.", "sources": []map[string]any{{"path": target}},
			"chunks": []map[string]any{{"ordinal": 0, "text": "A note about wombats.", "char_start": 0, "char_end": 21}},
		}})
		if code, b := upload("x.hoard", gzipLines(t, header, string(doc))); code != 200 {
			t.Fatalf("import: %d %s", code, b)
		}
		id, _, err := v.Documents(context.Background(), vault.ListOptions{Query: fmt.Sprintf("innocent %d", i)})
		if err != nil || len(id) != 1 {
			t.Fatalf("documents: %v %v", id, err)
		}
		ref := itoa(id[0].ID)
		code, body := do(t, "GET", srv.URL+"/api/documents/"+ref+"/file", nil, auth)
		hostname, _ := os.ReadFile(target)
		if code == 200 || bytes.Contains(body, bytes.TrimSpace(hostname)) {
			t.Errorf("%s is served: %d %q", target, code, body)
		}
		if code, body := do(t, "POST", srv.URL+"/api/documents/"+ref+"/reindex", nil, auth); code != 410 {
			t.Errorf("re-index of %s: %d %s", target, code, body)
		}
	}
	var hits struct {
		Hits []map[string]any `json:"hits"`
	}
	getJSON(t, srv.URL+"/api/search?q=quokka+passphrase", &hits)
	if len(hits.Hits) != 0 {
		t.Errorf("the secret was read into the vault: %v", hits.Hits)
	}
}

// The desktop window has no downloads: POST /api/export/save asks the app
// where to write (its save dialog) and writes the export there; a
// cancelled dialog writes nothing, and without the app it is refused.
func TestSaveExportWritesWhereAsked(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		saveAs func(ctx context.Context, name string) (string, error)
		code   int
		file   string // written, when code is 200
	}{
		{"no desktop app", nil, 501, ""},
		{"cancelled", func(context.Context, string) (string, error) { return "", nil }, 204, ""},
		{"the dialog failed", func(context.Context, string) (string, error) { return "", errors.New("no display") }, 500, ""},
		{"a folder that is not there", func(_ context.Context, name string) (string, error) { return filepath.Join(dir, "gone", name), nil }, 500, ""},
		{"saved", func(_ context.Context, name string) (string, error) { return filepath.Join(dir, name), nil }, 200, "hoard-*.hoard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newServer(t, api.Options{Token: token, SaveAs: tc.saveAs})
			auth := map[string]string{"Authorization": "Bearer " + token}
			body, ct := multipartFiles(t, [2]string{"tea.md", "# Tea\n\nGreen tea is made from steamed leaves.\n"})
			if code, b := do(t, "POST", srv.URL+"/api/documents?wait=true", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ct}); code != 200 {
				t.Fatalf("upload: %d %s", code, b)
			}
			code, b := do(t, "POST", srv.URL+"/api/export/save", nil, auth)
			if code != tc.code {
				t.Fatalf("save: %d %s, want %d", code, b, tc.code)
			}
			if tc.file == "" {
				return
			}
			var res struct {
				Path      string `json:"path"`
				Documents int    `json:"documents"`
			}
			if err := json.Unmarshal(b, &res); err != nil || res.Documents != 1 {
				t.Fatalf("save: %s (%v)", b, err)
			}
			if ok, _ := filepath.Match(filepath.Join(dir, tc.file), res.Path); !ok {
				t.Errorf("written to %s", res.Path)
			}
			other, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(t.TempDir())}})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if r, err := other.Import(context.Background(), res.Path); err != nil || r.Added != 1 {
				t.Errorf("import of the saved export: %+v %v", r, err)
			}
		})
	}
}
