package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

// canonical re-encodes a hit with its keys sorted, so that two encodings
// of the same value compare equal byte for byte. The score is rounded: it
// decays with the document's age, which grows between the three searches.
func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if score, ok := v["score"].(float64); ok {
		v["score"] = strconv.FormatFloat(score, 'g', 6, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// One hit from a real vault is the same JSON from `hoard search --json`,
// GET /api/search and the MCP search tool's structured result (over the
// API's /mcp): one shape, every field.
func TestOneHitShapeEverywhere(t *testing.T) {
	docs, vdir, mdir := t.TempDir(), t.TempDir(), t.TempDir()
	note := filepath.Join(docs, "tea.md")
	if err := os.WriteFile(note, []byte("# Tea\n\n## Green tea\n\nSencha is steamed, not roasted: the leaves stay green.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--vault", vdir, "--models", mdir, "--embedder", "none", "--reranker", "none"}
	mustRun(t, append(flags, "add", note)...)

	var fromCLI []json.RawMessage
	if err := json.Unmarshal([]byte(mustRun(t, append(flags, "search", "--json", "--no-group", "sencha")...)), &fromCLI); err != nil {
		t.Fatal(err)
	}
	if len(fromCLI) != 1 {
		t.Fatalf("hoard search --json: %d hits, want 1", len(fromCLI))
	}

	ctx := context.Background()
	v, err := vault.Open(ctx, vdir, vault.Options{Neural: vault.NeuralOptions{Models: vault.ModelManager(mdir), Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	srv := httptest.NewServer(api.New(v, api.Options{Trusted: true}).Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/search?q=sencha")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fromAPI struct{ Hits []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&fromAPI); err != nil || resp.StatusCode != http.StatusOK || len(fromAPI.Hits) != 1 {
		t.Fatalf("GET /api/search: %d, %d hits, %v", resp.StatusCode, len(fromAPI.Hits), err)
	}

	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "sencha"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call search: %+v %v", res, err)
	}
	structured, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var fromMCP struct{ Results []json.RawMessage }
	if err := json.Unmarshal(structured, &fromMCP); err != nil || len(fromMCP.Results) != 1 {
		t.Fatalf("MCP search: %s %v", structured, err)
	}

	cli, web, agent := canonical(t, fromCLI[0]), canonical(t, fromAPI.Hits[0]), canonical(t, fromMCP.Results[0])
	if cli != web || cli != agent {
		t.Fatalf("one hit, three shapes:\n cli %s\n api %s\n mcp %s", cli, web, agent)
	}
	// And it is the wire type, field for field: nothing is left over or
	// missing that the generated TypeScript would not know.
	var hit wire.Hit
	dec := json.NewDecoder(bytes.NewReader(fromCLI[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hit); err != nil {
		t.Fatal(err)
	}
	if hit.Title != "Tea" || !strings.HasSuffix(hit.Heading, "Green tea") || hit.Path != note || hit.ChunkID == 0 || hit.DocID == 0 ||
		hit.Collection != vault.DefaultCollection || hit.MediaType == "" || hit.Score <= 0 || !strings.Contains(hit.Snippet, "<mark>Sencha</mark>") {
		t.Errorf("hit %+v", hit)
	}
	again, err := json.Marshal(hit)
	if err != nil {
		t.Fatal(err)
	}
	if canonical(t, again) != cli {
		t.Errorf("wire.Hit round trip:\n %s\n %s", again, cli)
	}
}
