package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// A vault whose file and folder may not be written (chmod 0444 and 0555)
// is searched by `hoard search` and by `hoard serve`'s read routes, and
// every change is refused with "vault is read-only". Root writes whatever
// the permissions say, so as root the checks run in a child process as
// user nobody.
func TestReadOnlyVault(t *testing.T) {
	if dir := os.Getenv("HOARD_READONLY_CHILD"); dir != "" {
		readOnlyChecks(t, dir)
		return
	}
	root := t.TempDir()
	vdir := filepath.Join(root, "vault")
	note := filepath.Join(root, "tea.md")
	os.WriteFile(note, []byte("# Tea\n\nGreen tea is made from the steamed leaves of Camellia sinensis.\n"), 0o644)
	mustRun(t, "--vault", vdir, "--models", filepath.Join(root, "models"), "add", note)
	files, _ := filepath.Glob(filepath.Join(vdir, "*"))
	for _, f := range files {
		os.Chmod(f, 0o444)
	}
	os.Chmod(vdir, 0o555)
	t.Cleanup(func() { os.Chmod(vdir, 0o755) })
	if os.Geteuid() != 0 {
		readOnlyChecks(t, vdir)
		return
	}
	// The test binary, where user nobody may run it.
	bin := filepath.Join(root, "hoard.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, data, 0o755)
	for _, d := range []string{root, filepath.Dir(root)} {
		os.Chmod(d, 0o755)
	}
	home := filepath.Join(root, "home")
	os.Mkdir(home, 0o755)
	os.Chmod(home, 0o777) // past the umask
	cmd := exec.Command(bin, "-test.run=^TestReadOnlyVault$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "HOARD_READONLY_CHILD="+vdir, "HOME="+home, "TMPDIR="+home, "XDG_DATA_HOME="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestReadOnlyVault") {
		t.Fatalf("as user nobody: %v\n%s", err, out)
	}
	t.Logf("as user nobody:\n%s", out)
}

func readOnlyChecks(t *testing.T, vdir string) {
	modelDir := filepath.Join(t.TempDir(), "models")
	out, err := run(t, "--vault", vdir, "--models", modelDir, "search", "green tea")
	if err != nil || !strings.Contains(out, "tea.md") {
		t.Fatalf("search: %v\n%s", err, out)
	}
	other := filepath.Join(t.TempDir(), "other.md")
	os.WriteFile(other, []byte("# Other\n\nAnother note.\n"), 0o644)
	for _, args := range [][]string{{"remember", "a note"}, {"add", other}} {
		if _, err := run(t, append([]string{"--vault", vdir, "--models", modelDir}, args...)...); err == nil || !strings.Contains(err.Error(), "vault is read-only") {
			t.Errorf("hoard %s: %v, want vault is read-only", args[0], err)
		}
	}

	v, err := vault.Open(context.Background(), vdir, vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(modelDir)}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	srv := httptest.NewServer(api.New(v, api.Options{Token: "tok"}).Handler())
	defer srv.Close()
	call := func(method, path, ctype, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := call("GET", "/api/search?q=green+tea", "", "")
	var res struct{ Hits []json.RawMessage }
	if json.Unmarshal([]byte(body), &res); code != 200 || len(res.Hits) == 0 {
		t.Errorf("search: %d %s", code, body)
	}
	if code, body := call("GET", "/api/documents", "", ""); code != 200 || !strings.Contains(body, `"total":1`) {
		t.Errorf("documents: %d %s", code, body)
	}
	form := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.md\"\r\n\r\n# X\r\n--b--\r\n"
	for _, tc := range [][3]string{
		{"POST", "/api/memories", `{"text":"a note"}`},
		{"POST", "/api/collections", `{"name":"Work"}`},
		{"POST", "/api/watched", `{"path":"` + t.TempDir() + `"}`},
		{"PUT", "/api/llm", `{}`},
		{"POST", "/api/documents", form},
	} {
		ctype := "application/json"
		if strings.HasPrefix(tc[2], "--") {
			ctype = "multipart/form-data; boundary=b"
		}
		if code, body := call(tc[0], tc[1], ctype, tc[2]); code != 403 || !strings.Contains(body, "vault is read-only") {
			t.Errorf("%s %s: %d %s, want 403 vault is read-only", tc[0], tc[1], code, body)
		}
	}
}
