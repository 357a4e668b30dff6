package cli

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// testApp is the global options of a command run on its own vault, with no
// models installed, its output kept.
func testApp(t *testing.T) (*app, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	return &app{vaultDir: t.TempDir(), modelsDir: t.TempDir(), device: "cpu", stdout: &out, stderr: &bytes.Buffer{}}, &out
}

// The commands run from their options structs alone, without cobra: each
// step runs one on the same vault, in order, and is judged by what it
// prints or the error it returns.
func TestRunFunctions(t *testing.T) {
	ctx := context.Background()
	notes := t.TempDir()
	testdata.WriteFile(t, filepath.Join(notes, "puffins.md"), "# Puffins\n\nPuffins nest in burrows on the cliffs of Skomer.\n")
	testdata.WriteFile(t, filepath.Join(notes, "bread.txt"), "Sourdough needs a starter fed with flour and water.\n")
	export := filepath.Join(t.TempDir(), "all.hoard")
	a, out := testApp(t)
	other, _ := testApp(t)
	other.stdout = a.stdout
	cases := []struct {
		name    string
		run     func() error
		want    []string // in what it prints
		wantErr string
	}{
		{"add into a collection", func() error { return runAdd(ctx, addOptions{Collection: "birds"}, a, []string{notes}) },
			[]string{"2 indexed, 0 unchanged"}, ""},
		{"add again", func() error { return runAdd(ctx, addOptions{Collection: "birds", JSON: true}, a, []string{notes}) },
			[]string{`"unchanged": 2`}, ""},
		{"search", func() error { return runSearch(ctx, searchOptions{Limit: 10}, a, []string{"puffins", "burrows"}) },
			[]string{"1. Puffins", filepath.Join(notes, "puffins.md")}, ""},
		{"search another collection", func() error {
			return runSearch(ctx, searchOptions{Limit: 10, Filter: search.Filter{Collection: "nowhere"}}, a, []string{"puffins"})
		}, []string{"no matches"}, ""},
		{"search with a bad date", func() error { return runSearch(ctx, searchOptions{Since: "last week"}, a, []string{"puffins"}) },
			nil, `date "last week": use YYYY-MM-DD`},
		{"ls as JSON", func() error { return runLs(ctx, lsOptions{JSON: true}, a) }, []string{`"title": "Puffins"`, `"collection": "birds"`}, ""},
		{"remember", func() error {
			return runRemember(ctx, rememberOptions{Title: "Spare key"}, a, []string{"under", "the", "flowerpot"})
		},
			[]string{"remembered as document"}, ""},
		{"memories", func() error { return runMemories(ctx, memoriesOptions{}, a, nil) }, []string{"Spare key"}, ""},
		{"memories with a bad id", func() error { return runMemories(ctx, memoriesOptions{}, a, []string{"forget", "x"}) },
			nil, `"x" is not a memory id`},
		{"ask without a model", func() error {
			return runAsk(ctx, askOptions{JSON: true, LLM: llmOptions{Kind: "none", Explicit: true}}, a, []string{"where", "do", "puffins", "nest?"})
		}, []string{`"answer":`, "extractive answer (--llm none)"}, ""},
		{"ask with a bad conversation", func() error {
			return runAsk(ctx, askOptions{Chat: "latest", LLM: llmOptions{Kind: "none", Explicit: true}}, a, []string{"puffins"})
		}, nil, `--chat: "latest" is neither "new" nor a conversation id`},
		{"reindex with nothing named", func() error { return runReindex(ctx, reindexOptions{}, a) }, nil, "nothing to do"},
		{"transcription: a language given", func() error {
			return runTranscription(ctx, transcriptionOptions{TranscriptionOptions: vault.TranscriptionOptions{Language: "en", Model: "not-given"}, Given: []string{"language"}}, a)
		}, []string{"engine: none", "language: en"}, ""},
		{"models ls, installed only", func() error { return runModelsLs(ctx, modelsLsOptions{Installed: true}, a) }, nil, ""},
		{"export", func() error { return runExport(ctx, exportOptions{}, a, []string{export}) },
			[]string{"exported 3 documents to " + export}, ""},
		{"import into another vault", func() error { return runImport(ctx, importOptions{}, other, []string{export}) },
			[]string{"imported 3 documents (0 already in the vault)"}, ""},
		{"status of the other vault", func() error { return runStatus(ctx, statusOptions{}, other) },
			[]string{"3 (3 indexed, 0 failed)"}, ""},
		{"mcp: a search over the line transport", func() error {
			in := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
				`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
				`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search","arguments":{"query":"puffins burrows"}}}` + "\n")
			return runMCP(ctx, mcpOptions{LLM: llmOptions{Kind: "none", Explicit: true}}, a, in)
		}, []string{`"id":2`, "Puffins"}, ""},
		{"serve: a taken address", func() error {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			defer ln.Close()
			return runServe(ctx, serveOptions{Addr: ln.Addr().String(), LLM: llmOptions{Kind: "none", Explicit: true}}, a)
		}, nil, "listen: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out.Reset()
			err := tc.run()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tc.want == nil && tc.wantErr == "" && out.Len() != 0 {
				t.Errorf("printed %q, want nothing", out)
			}
		})
	}
}
