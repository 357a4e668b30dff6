package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// storedUploads lists the files under the vault's uploads folder, and the
// temporary copies any upload left in the vault's folder.
func storedUploads(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(dir, "uploads"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	tmp, _ := filepath.Glob(filepath.Join(dir, ".upload-*"))
	return append(files, tmp...)
}

// An upload over the limit is refused whole (413), whether it says its
// length or not; nothing of it is kept.
func TestUploadOverTheLimit(t *testing.T) {
	const limit = 64 << 10
	ts, v, _ := limitedServer(t, api.Limits{MaxUpload: limit})
	for _, tc := range []struct {
		name, path string
		size       int
		chunked    bool
		want       int
	}{
		{"over, length declared", "/api/documents?wait=true", limit + 1, false, 413},
		{"over, chunked", "/api/documents?wait=true", 2 * limit, true, 413},
		{"import over", "/api/import", limit + 1, false, 413},
		{"under", "/api/documents?wait=true", limit - 1024, false, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ctype := multipartFiles(t, [2]string{tc.name + ".md", "# Big\n\n" + strings.Repeat("word ", tc.size/5)})
			var r io.Reader = body
			if tc.chunked {
				r = io.MultiReader(body) // no length known: sent chunked
			}
			req, _ := http.NewRequest("POST", ts.URL+tc.path, r)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%d %s, want %d", resp.StatusCode, msg, tc.want)
			}
			if tc.want == 413 && !strings.Contains(string(msg), "64 KiB") {
				t.Errorf("the refusal does not say the limit: %s", msg)
			}
		})
	}
	if files := storedUploads(t, v.Dir()); len(files) != 1 || !strings.Contains(files[0], "under.md") {
		t.Errorf("stored: %v, want the one under the limit", files)
	}
}

// An upload cut off (the client goes away, or sends less than it said) is
// not taken: the answer is an error and no file of it is kept, not even
// the files of it that came whole.
func TestCutOffUpload(t *testing.T) {
	ts, v, _ := limitedServer(t, api.Limits{})
	one, ctype := multipartFiles(t, [2]string{"one.md", "# One\n\nThe first file.\n"})
	two, ctype2 := multipartFiles(t, [2]string{"first.md", "# First\n\nIt came whole.\n"}, [2]string{"second.md", "# Second\n\n" + strings.Repeat("cut ", 4000)})
	for _, tc := range []struct {
		name, ctype, body string
		declared          int
	}{
		{"shorter than its length", ctype, one.String(), one.Len() + 100},
		{"cut in its file", ctype, one.String()[:one.Len()/2], one.Len()},
		{"cut in its second file", ctype2, two.String()[:two.Len()-2000], two.Len()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, ts)
			fmt.Fprintf(conn, "POST /api/documents?wait=true HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
				token, tc.ctype, tc.declared, tc.body)
			conn.(*net.TCPConn).CloseWrite()
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err == nil {
				msg, _ := io.ReadAll(resp.Body)
				if resp.StatusCode < 400 {
					t.Errorf("a cut-off upload was answered %d %s", resp.StatusCode, msg)
				}
			}
			if files := storedUploads(t, v.Dir()); len(files) != 0 {
				t.Errorf("a cut-off upload left %v", files)
			}
		})
	}
	var page struct{ Total int }
	getJSON(t, ts.URL+"/api/documents", &page)
	if page.Total != 0 {
		t.Errorf("%d documents from cut-off uploads", page.Total)
	}
}

// TestUploadServerChild is the server that TestUploadCrash kills.
func TestUploadServerChild(t *testing.T) {
	dir := os.Getenv("HOARD_UPLOAD_CHILD")
	if dir == "" {
		t.Skip("runs only as the child of TestUploadCrash")
	}
	// The parent's folder: this process is killed, and would leave a
	// temporary folder of its own behind.
	v, err := vault.Open(context.Background(), dir, vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(os.Getenv("HOARD_UPLOAD_CHILD_MODELS"))}})
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(v, api.Options{Token: token})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	a.HTTPServer().Serve(a.Listener(ln))
}

// A server killed in the middle of an upload leaves no file under the
// upload's name, and what it was writing is swept when a server starts.
func TestUploadCrash(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestUploadServerChild$")
	child.Env = append(os.Environ(), "HOARD_UPLOAD_CHILD="+dir, "HOARD_UPLOAD_CHILD_MODELS="+t.TempDir())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	sc := bufio.NewScanner(out)
	addr := ""
	for addr == "" && sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			addr = a
		}
	}
	go io.Copy(io.Discard, out)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const boundary = "crashboundary"
	fmt.Fprintf(conn, "POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n"+
		"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"crash.md\"\r\nContent-Type: text/markdown\r\n\r\n# Crash\n\n",
		token, boundary, 64<<20, boundary)
	chunk := bytes.Repeat([]byte("half an upload "), 1<<16)
	conn.Write(chunk)
	// Killed once the server has written some of it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if files := storedUploads(t, dir); len(files) > 0 {
			if fi, err := os.Stat(filepath.Join(dir, files[0])); err == nil && fi.Size() > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server wrote nothing of the upload: %v", storedUploads(t, dir))
		}
	}
	child.Process.Kill()
	child.Wait()
	left := storedUploads(t, dir)
	for _, f := range left {
		if strings.HasSuffix(f, "crash.md") {
			t.Errorf("a part of the upload lies under its name: %s", f)
		}
	}
	t.Logf("left by the crash: %v", left)

	v, err := vault.Open(context.Background(), dir, vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	time.Sleep(100 * time.Millisecond)
	api.New(v, api.Options{Token: token, Limits: api.Limits{BodyStall: 50 * time.Millisecond}})
	if files := storedUploads(t, dir); len(files) != 0 {
		t.Errorf("after a start: %v", files)
	}
}

// Deleting a document that was uploaded deletes the stored file, once no
// document (a record of the same corpus, the same bytes uploaded twice) is
// read from it; a file of the user's own, added from where it lies, stays.
func TestDeletingAnUploadRemovesItsFile(t *testing.T) {
	ts, v, _ := limitedServer(t, api.Limits{})
	h := map[string]string{"Authorization": "Bearer " + token}
	upload := func(files ...[2]string) {
		t.Helper()
		body, ctype := multipartFiles(t, files...)
		if code, msg := do(t, "POST", ts.URL+"/api/documents?wait=true", body, map[string]string{"Authorization": "Bearer " + token, "Content-Type": ctype}); code != 200 {
			t.Fatalf("upload: %d %s", code, msg)
		}
	}
	docID := func(title string) int64 {
		t.Helper()
		var page struct {
			Items []struct {
				ID    int64
				Title string
			}
		}
		getJSON(t, ts.URL+"/api/documents?limit=100", &page)
		for _, d := range page.Items {
			if d.Title == title {
				return d.ID
			}
		}
		t.Fatalf("no document %q in %+v", title, page.Items)
		return 0
	}
	remove := func(title string) {
		t.Helper()
		if code, msg := do(t, "DELETE", ts.URL+"/api/documents/"+strconv.FormatInt(docID(title), 10), nil, h); code != 204 {
			t.Fatalf("delete %s: %d %s", title, code, msg)
		}
	}
	stored := func() string { return strings.Join(storedUploads(t, v.Dir()), " ") }

	upload([2]string{"note.md", "# Note\n\nA note to delete.\n"}, [2]string{"keep.md", "# Keep\n\nA note to keep.\n"})
	remove("Note")
	if s := stored(); strings.Contains(s, "note.md") || !strings.Contains(s, "keep.md") {
		t.Errorf("after deleting Note: %s", s)
	}
	upload([2]string{"twice.md", "# Twice\n\nSent twice.\n"})
	upload([2]string{"twice.md", "# Twice\n\nSent twice.\n"})
	remove("Twice")
	if s := stored(); strings.Contains(s, "twice") {
		t.Errorf("after deleting Twice, sent twice: %s", s)
	}
	upload([2]string{"corpus.jsonl", `{"_id":"a","title":"Alpha","text":"The first record."}` + "\n" + `{"_id":"b","title":"Beta","text":"The second record."}` + "\n"})
	remove("Alpha")
	if s := stored(); !strings.Contains(s, "corpus.jsonl") {
		t.Errorf("the corpus went with one of its records: %s", s)
	}
	remove("Beta")
	if s := stored(); strings.Contains(s, "corpus.jsonl") {
		t.Errorf("the corpus stays after its last record: %s", s)
	}
	own := filepath.Join(t.TempDir(), "own.md")
	os.WriteFile(own, []byte("# Own\n\nThe user's own file.\n"), 0o644)
	if _, err := v.Add(context.Background(), []string{own}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	remove("Own")
	if _, err := os.Stat(own); err != nil {
		t.Errorf("the user's own file went with its document: %v", err)
	}
}
