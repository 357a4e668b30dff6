package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

// run executes the command line in-process and returns stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := NewRoot(&out, &errb, nil)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("hoard %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestCommands(t *testing.T) {
	docs := testdata.Shared(t, "samples/docs")
	v := t.TempDir()
	out := mustRun(t, "--vault", v, "add", docs)
	if !strings.Contains(out, "indexed") || !strings.Contains(out, "failed:") {
		t.Fatalf("add summary: %s", out)
	}
	var hits []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "--vault", v, "search", "--json", "--limit", "3", "bottles", "of", "water")), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("no hits")
	}
	for _, k := range []string{"doc_id", "title", "path", "page", "heading", "snippet", "text", "score"} {
		if _, ok := hits[0][k]; !ok {
			t.Errorf("search --json: missing %q in %v", k, hits[0])
		}
	}
	// Nothing searchable is not an error, and prints an empty array.
	if out := mustRun(t, "--vault", v, "search", "--json", "🙂 (( ))"); strings.TrimSpace(out) != "[]" {
		t.Errorf("emoji query: %q", out)
	}
	long := strings.Repeat(`"unbalanced AND OR NOT -x * ( ) : ^ `, 300)
	if _, err := run(t, "--vault", v, "search", long); err != nil {
		t.Errorf("a 10,000-character query failed: %v", err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "--vault", v, "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"documents", "chunks", "failed", "bytes", "sqlite_version", "vec_version"} {
		if _, ok := st[k]; !ok {
			t.Errorf("status --json: missing %q", k)
		}
	}
	if !strings.HasPrefix(fmt.Sprint(st["vec_version"]), "v0.") {
		t.Errorf("vec_version %v", st["vec_version"])
	}
	var list []wire.DocumentInfo
	if err := json.Unmarshal([]byte(mustRun(t, "--vault", v, "ls", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != int(st["documents"].(float64)) {
		t.Fatalf("ls lists %d, status says %v", len(list), st["documents"])
	}
	// rm by id removes the document and its hits.
	hitID := fmt.Sprint(hits[0]["doc_id"])
	mustRun(t, "--vault", v, "rm", hitID)
	if _, err := run(t, "--vault", v, "rm", hitID); err == nil {
		t.Error("removing a missing document should fail")
	}
	exp := filepath.Join(t.TempDir(), "export.hoard")
	mustRun(t, "--vault", v, "export", exp)
	v2 := t.TempDir()
	mustRun(t, "--vault", v2, "import", exp)
	a := mustRun(t, "--vault", v, "search", "--json", "product development")
	b := mustRun(t, "--vault", v2, "search", "--json", "product development")
	if stripIDs(t, a) != stripIDs(t, b) {
		t.Errorf("search differs after export/import")
	}
}

func stripIDs(t *testing.T, js string) string {
	var hits []map[string]any
	if err := json.Unmarshal([]byte(js), &hits); err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		delete(h, "doc_id")
		delete(h, "chunk_id")
		// Temporal decay moves scores by the microseconds between searches.
		h["score"] = fmt.Sprintf("%.6f", h["score"])
	}
	b, _ := json.Marshal(hits)
	return string(b)
}

// TestCrashChild is the child process of TestCrashMidIngest.
func TestCrashChild(t *testing.T) {
	args := os.Getenv("HOARD_CRASH_CHILD")
	if args == "" {
		t.Skip("runs only as the child of TestCrashMidIngest")
	}
	os.Exit(Execute(context.Background(), strings.Split(args, "\x1f"), nil))
}

// TestCrashMidIngest kills `hoard add` with SIGKILL in the middle of a run
// and checks that the vault opens cleanly with every document complete, and
// that a restart finishes the queue without indexing anything twice. The
// writer commits documents in batches: a batch the kill cut is absent as a
// whole, and its queue rows are still there, so the restart indexes it.
func TestCrashMidIngest(t *testing.T) {
	const docs = 3000
	note := func(i int) string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "# Note %d\n\n", i)
		for p := range 12 {
			fmt.Fprintf(&sb, "Paragraph %d of note %d talks about topic%d and topic%d with some filler words to make it longer. ", p, i, i%97, p)
			if p%3 == 2 {
				sb.WriteString("\n\n## Part\n\n")
			}
		}
		return sb.String()
	}
	for _, tc := range []struct {
		name string
		// write makes the input in dir and returns the path to add.
		write func(t *testing.T, dir string) string
		// rows is how many queue rows are left when stored documents are
		// in the vault; unchanged, how many the restart finds stored.
		rows, unchanged func(stored int) int
	}{
		{
			name: "files",
			write: func(t *testing.T, dir string) string {
				for i := range docs {
					if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("note-%04d.md", i)), []byte(note(i)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return dir
			},
			// A file's row goes in the transaction that stores it.
			rows:      func(stored int) int { return docs - stored },
			unchanged: func(int) int { return 0 },
		},
		{
			name: "corpus",
			write: func(t *testing.T, dir string) string {
				var sb strings.Builder
				enc := json.NewEncoder(&sb)
				for i := range docs {
					enc.Encode(map[string]string{"_id": fmt.Sprint(i), "title": fmt.Sprintf("Note %d", i), "text": note(i)})
				}
				file := filepath.Join(dir, "corpus.jsonl")
				if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return file
			},
			// One row stands for the whole corpus until its last record.
			rows:      func(int) int { return 1 },
			unchanged: func(stored int) int { return stored },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.write(t, t.TempDir())
			vdir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
			cmd.Env = append(os.Environ(), "HOARD_CRASH_CHILD="+strings.Join([]string{"--vault", vdir, "--embedder", "none", "add", src}, "\x1f"))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			dbPath := filepath.Join(vdir, vault.DBFile)
			killed := false
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
				n, err := countDocs(dbPath)
				if err == nil && n >= 200 {
					cmd.Process.Signal(syscall.SIGKILL)
					killed = true
					break
				}
			}
			err := cmd.Wait()
			if !killed {
				t.Fatalf("the child finished or stalled before it could be killed: %v", err)
			}
			ctx := context.Background()
			v, err := vault.Open(ctx, vdir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none"}})
			if err != nil {
				t.Fatalf("vault does not open after a crash: %v", err)
			}
			if err := v.Check(ctx); err != nil {
				t.Fatal(err)
			}
			st, _ := v.Status(ctx)
			if st.Documents == 0 || st.Documents >= docs {
				t.Fatalf("the kill did not land mid-ingest: %d documents", st.Documents)
			}
			assertComplete(t, dbPath)
			q, err := v.Queue(ctx, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			if q.Total() != tc.rows(st.Documents) {
				t.Fatalf("after the crash the queue holds %d rows, want %d (%d documents stored)", q.Total(), tc.rows(st.Documents), st.Documents)
			}
			v.Close()
			// Resuming with no paths finishes the queue; what was stored is
			// not indexed again.
			out := mustRun(t, "--vault", vdir, "--embedder", "none", "add", "--json")
			var sum vault.Summary
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Indexed != docs-st.Documents || sum.Unchanged != tc.unchanged(st.Documents) {
				t.Fatalf("resume: %d indexed, %d unchanged; %d were stored before the crash", sum.Indexed, sum.Unchanged, st.Documents)
			}
			assertComplete(t, dbPath)
			v, err = vault.Open(ctx, vdir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none"}})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if q, _ := v.Queue(ctx, 1, 0); q.Total() != 0 {
				t.Fatalf("the queue is not empty after resuming: %+v", q)
			}
			if st, _ := v.Status(ctx); st.Documents != docs {
				t.Fatalf("%d documents, want %d", st.Documents, docs)
			}
		})
	}
}

func countDocs(db string) (int, error) {
	if _, err := os.Stat(db); err != nil {
		return 0, err
	}
	conn, err := sql.Open("sqlite3", "file:"+db+"?mode=ro&_busy_timeout=1000")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int
	err = conn.QueryRow("SELECT count(*) FROM documents").Scan(&n)
	return n, err
}

// assertComplete checks every document holds all of its chunks: ordinals
// run 0..n-1 and the last chunk reaches the end of the text (rebuilt from
// the chunks and what they leave out).
func assertComplete(t *testing.T, dbPath string) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB().Query(`SELECT d.id, (SELECT count(*) FROM chunks WHERE document_id = d.id),
		coalesce((SELECT max(ordinal) + 1 FROM chunks WHERE document_id = d.id), 0),
		coalesce((SELECT max(char_end) FROM chunks WHERE document_id = d.id), -1),
		(SELECT count(*) FROM sources WHERE document_id = d.id)
		FROM documents d WHERE d.status = 'indexed'`)
	if err != nil {
		t.Fatal(err)
	}
	type doc struct{ id, chunks, ordinals, end, sources int64 }
	var docs []doc
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.id, &d.chunks, &d.ordinals, &d.end, &d.sources); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	rows.Close()
	bad := 0
	for _, d := range docs {
		_, text, err := s.DocumentText(ctx, d.id)
		if err != nil {
			t.Fatal(err)
		}
		if d.chunks == 0 || d.ordinals != d.chunks || d.end != int64(len([]rune(text))) || d.sources == 0 {
			bad++
		}
	}
	if bad != 0 {
		t.Fatalf("%d documents are incomplete", bad)
	}
}

// A flag that takes one of a few values refuses any other and names them.
func TestFlagValuesAreChecked(t *testing.T) {
	v := t.TempDir()
	mustRun(t, "--vault", v, "ls", "--status", "failed")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ask", "--llm", "bogus", "what is tea?"}, "auto, builtin, ollama, openai, none"},
		{[]string{"mcp", "--llm", "bogus"}, "auto, builtin, ollama, openai, none"},
		{[]string{"ls", "--status", "bogus"}, "indexed, failed, queued"},
	} {
		_, err := run(t, append([]string{"--vault", v}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bogus") {
			t.Errorf("hoard %s: %v, want the values %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// --ocr-lang with a language tesseract has no data for says which package
// to install, rather than failing the scans as corrupt or empty.
func TestOCRLanguageNotInstalled(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("tesseract is not installed")
	}
	list, _ := exec.Command("tesseract", "--list-langs").CombinedOutput()
	if slices.Contains(strings.Fields(string(list)), "deu") {
		t.Skip("tesseract has German: no language here to miss")
	}
	scan := filepath.Join(testdata.Shared(t, "samples/docs/unstructured"), "loremipsum-flat.pdf")
	for _, lang := range []string{"deu", "eng+deu"} {
		v := t.TempDir()
		_, err := run(t, "--vault", v, "--ocr-lang", lang, "add", scan)
		if err == nil || !strings.Contains(err.Error(), "tesseract-ocr-deu") || strings.Contains(err.Error(), "corrupt") {
			t.Errorf("--ocr-lang %s: %v", lang, err)
		}
	}
	if out := mustRun(t, "--vault", t.TempDir(), "--ocr-lang", "eng", "add", scan); !strings.Contains(out, "1 indexed") {
		t.Errorf("--ocr-lang eng: %s", out)
	}
}

// export leaves API keys out unless asked, and import says what it did;
// watched folders are resumed only with --watch.
func TestExportImportFlags(t *testing.T) {
	docs := testdata.Shared(t, "samples/docs")
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	mustRun(t, "--vault", a, "add", docs)
	ctx := context.Background()
	v, err := vault.Open(ctx, a, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddWatched(ctx, docs, ""); err != nil {
		t.Fatal(err)
	}
	if err := v.SetLLM(ctx, vault.LLMSettings{Kind: "openai", URL: "http://127.0.0.1:9/v1", APIKey: "sk-cli-secret"}); err != nil {
		t.Fatal(err)
	}
	v.Close()
	plain, secret := filepath.Join(t.TempDir(), "plain.hoard"), filepath.Join(t.TempDir(), "secret.hoard")
	mustRun(t, "--vault", a, "export", plain)
	mustRun(t, "--vault", a, "export", "--with-secrets", "--no-vectors", secret)
	out := mustRun(t, "--vault", b, "import", plain)
	if !strings.Contains(out, "1 watched folders not resumed") || !strings.Contains(out, "1 settings") {
		t.Errorf("import: %s", out)
	}
	mustRun(t, "--vault", c, "import", "--watch", secret)
	for dir, want := range map[string]string{b: "", c: "sk-cli-secret"} {
		v, err := vault.Open(ctx, dir, vault.Options{})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := v.LLM(ctx)
		w, _ := v.Watched(ctx)
		v.Close()
		if l.APIKey != want || l.URL == "" {
			t.Errorf("%s: llm settings %+v", dir, l)
		}
		if (want != "") != (len(w) == 1) {
			t.Errorf("%s: watched %+v", dir, w)
		}
	}
}
