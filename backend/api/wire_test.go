package api_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

// What the server sends is what the OpenAPI document (and so the UI's
// generated TypeScript) says: every reply of a real server over a real
// vault validates against its schema, with no field missing, extra, or null
// where the types promise a value.
func TestRepliesMatchTheirSchemas(t *testing.T) {
	srv, v := newServer(t, api.Options{Token: token})
	ctx := context.Background()
	dir := t.TempDir()
	note := filepath.Join(dir, "tea.md")
	if err := os.WriteFile(note, []byte("# Tea\n\n## Green tea\n\nSencha is steamed, not roasted.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{note, filepath.Join(dir, "missing.md")}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	docs, _, err := v.Documents(ctx, vault.ListOptions{})
	if err != nil || len(docs) != 1 {
		t.Fatalf("documents: %v %v", docs, err)
	}
	doc := "/api/documents/" + itoa(docs[0].ID)

	raw, err := json.Marshal(mustSchemas(t))
	if err != nil {
		t.Fatal(err)
	}
	// The components refer to each other as OpenAPI places them; a JSON
	// Schema validator finds them under $defs.
	var defs map[string]*jsonschema.Schema
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), wire.RefPrefix, "#/$defs/")), &defs); err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	for _, tc := range []struct {
		method, path, body string
		schema             string
		list               bool // a JSON array of schema
	}{
		{"GET", "/api/app", "", "App", false},
		{"GET", "/api/status", "", "Status", false},
		{"GET", "/api/documents", "", "DocumentPage", false},
		{"GET", doc, "", "DocumentDetail", false},
		{"GET", "/api/collections", "", "Collection", true},
		{"GET", "/api/search?q=sencha", "", "SearchResult", false},
		{"GET", "/api/search?q=sencha&group=1", "", "SearchResult", false},
		{"POST", "/api/ask", `{"question":"what is sencha?"}`, "Answer", false},
		{"GET", "/api/queue", "", "Queue", false},
		{"POST", "/api/queue/outcomes", `{"paths":["/nowhere.md"]}`, "Outcomes", false},
		{"GET", "/api/watched", "", "WatchedFolder", true},
		{"GET", "/api/conversations", "", "Conversations", false},
		{"GET", "/api/memory", "", "GlobalMemory", false},
		{"GET", "/api/memories", "", "DocumentPage", false},
		{"GET", "/api/llm", "", "LLMSettings", false},
		{"GET", "/api/transcription", "", "TranscriptionSettings", false},
		{"GET", "/api/models", "", "ModelStatus", true},
		{"GET", "/api/documents/999999", "", "ErrorBody", false},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, body := do(t, tc.method, srv.URL+tc.path, strings.NewReader(tc.body), auth)
			if code >= 500 {
				t.Fatalf("%d %s", code, body)
			}
			s := &jsonschema.Schema{Ref: "#/$defs/" + tc.schema}
			if tc.list {
				s = &jsonschema.Schema{Type: "array", Items: s}
			}
			s.Defs = defs
			rs, err := s.Resolve(nil)
			if err != nil {
				t.Fatal(err)
			}
			var reply any
			if err := json.Unmarshal(body, &reply); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if err := rs.Validate(reply); err != nil {
				t.Errorf("the reply is not a %s: %v\n%s", tc.schema, err, body)
			}
		})
	}

	// The document the server serves is the one the types make.
	code, served := do(t, "GET", srv.URL+"/api/openapi.json", nil, auth)
	want, err := wire.OpenAPI()
	if err != nil || code != 200 || string(served) != string(want) {
		t.Errorf("GET /api/openapi.json: %d, %d bytes, want %d (%v)", code, len(served), len(want), err)
	}
}

func mustSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	s, err := wire.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
