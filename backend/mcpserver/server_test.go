package mcpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/mcpserver"
	"github.com/hoardvault/hoard/backend/vault"
)

// session is a real MCP client connected to the real server over a vault.
func session(t *testing.T, v *vault.Vault) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := mcpserver.New(v, mcpserver.Options{}).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func openVault(t *testing.T) *vault.Vault {
	t.Helper()
	v, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: vault.ModelManager(t.TempDir()), Embedder: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// call calls a tool and decodes its structured result into out; it returns
// the result's text content and whether it is an error.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !res.IsError && out != nil {
		raw, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
	return text, res.IsError
}

// bigText writes SciFact's abstracts into one text file of over a million
// bytes and returns its path and its first and last abstracts.
func bigText(t *testing.T) (path, first, last string) {
	f, err := os.Open(filepath.Join(testdata.Shared(t, "datasets/scifact"), "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && sb.Len() < 1_000_000 {
		var doc struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = doc.Text
		}
		last = doc.Text
		sb.WriteString(doc.Title + "\n\n" + doc.Text + "\n\n")
	}
	path = filepath.Join(t.TempDir(), "scifact-abstracts.txt")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, first, last
}

// get_document reads a long document a part at a time: each part is at
// most max_chars characters, says the total and where the next part
// starts, and the parts put together are the whole text.
func TestGetDocumentIsPaged(t *testing.T) {
	path, first, last := bigText(t)
	v := openVault(t)
	ctx := context.Background()
	if _, err := v.Add(ctx, []string{path}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	docs, _, err := v.Documents(ctx, storeAll)
	if err != nil || len(docs) != 1 {
		t.Fatalf("documents: %v %v", docs, err)
	}
	id := docs[0].ID
	cs := session(t, v)

	var out mcpserver.GetOut
	text, isErr := call(t, cs, "get_document", map[string]any{"doc_id": id}, &out)
	if isErr || len(text) > 64<<10 || out.TotalChars < 990_000 || out.Offset != 0 || out.NextOffset <= 0 || out.NextOffset > 20_000 || !strings.Contains(out.Next, "offset") {
		t.Fatalf("first part: %d bytes, total %d, offset %d, next %d %q", len(text), out.TotalChars, out.Offset, out.NextOffset, out.Next)
	}
	t.Logf("the first part is %d bytes of text content (%d sections) of a %d-character document", len(text), len(out.Sections), out.TotalChars)
	for _, tc := range []struct {
		name     string
		maxChars int
	}{{"default size", 0}, {"50000 characters", 50_000}} {
		t.Run(tc.name, func(t *testing.T) {
			var whole strings.Builder
			parts, offset, size := 0, 0, tc.maxChars
			if size == 0 {
				size = 20_000
			}
			for {
				args := map[string]any{"doc_id": id, "offset": offset}
				if tc.maxChars > 0 {
					args["max_chars"] = tc.maxChars
				}
				var part mcpserver.GetOut
				if _, isErr := call(t, cs, "get_document", args, &part); isErr {
					t.Fatalf("part at %d failed", offset)
				}
				n := 0
				for _, s := range part.Sections {
					whole.WriteString(s.Text)
					n += utf8.RuneCountInString(s.Text)
				}
				if part.Offset != offset || n != part.End-part.Offset || n > size || n == 0 {
					t.Fatalf("part at %d: offset %d end %d, %d characters", offset, part.Offset, part.End, n)
				}
				parts++
				if part.NextOffset == 0 {
					if part.End != out.TotalChars || part.Next != "" {
						t.Fatalf("last part ends at %d of %d, next %q", part.End, out.TotalChars, part.Next)
					}
					break
				}
				offset = part.NextOffset
			}
			got := whole.String()
			if utf8.RuneCountInString(got) != out.TotalChars || !strings.Contains(got, first) || !strings.Contains(got, last) || parts < out.TotalChars/size {
				t.Fatalf("%d parts put together: %d characters of %d", parts, utf8.RuneCountInString(got), out.TotalChars)
			}
		})
	}
	if text, isErr := call(t, cs, "get_document", map[string]any{"doc_id": id, "offset": out.TotalChars + 1}, nil); !isErr || !strings.Contains(text, "offset") {
		t.Errorf("an offset past the end: %q", text)
	}
}

// get_document with page reads that page of a paged document.
func TestGetDocumentPage(t *testing.T) {
	v := openVault(t)
	ctx := context.Background()
	if _, err := v.Add(ctx, []string{filepath.Join(testdata.Shared(t, "samples/docs/unstructured"), "page-breaks.docx")}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	docs, _, err := v.Documents(ctx, storeAll)
	if err != nil || len(docs) != 1 || docs[0].Pages != 6 {
		t.Fatalf("documents: %+v %v", docs, err)
	}
	cs := session(t, v)
	var out mcpserver.GetOut
	if text, isErr := call(t, cs, "get_document", map[string]any{"doc_id": docs[0].ID, "page": 3}, &out); isErr || len(out.Sections) == 0 {
		t.Fatalf("page 3: %s", text)
	}
	for _, s := range out.Sections {
		if s.Page != 3 || strings.TrimSpace(s.Text) == "" {
			t.Errorf("page 3 holds %+v", s)
		}
	}
	if out.Pages != 6 || out.NextOffset != out.End {
		t.Errorf("page 3: pages %d, end %d, next %d", out.Pages, out.End, out.NextOffset)
	}
	if text, isErr := call(t, cs, "get_document", map[string]any{"doc_id": docs[0].ID, "page": 7}, nil); !isErr || !strings.Contains(text, "6 pages") {
		t.Errorf("page 7 of 6: %q", text)
	}
}

var storeAll = vault.ListOptions{}
