package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// teaMCP is `hoard mcp` as a process of its own (not started) over a vault
// holding one note on tea.
func teaMCP(t *testing.T) *exec.Cmd {
	vdir, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "tea.md"), []byte("# Tea\n\nGreen tea is made from the steamed leaves of Camellia sinensis.\n"), 0o644)
	mustRun(t, "--vault", vdir, "add", src)
	return mcpProcess(vdir)
}

// mcpProcess is `hoard mcp` over the vault in vdir as a process of its own
// (not started), as an agent runs it.
func mcpProcess(vdir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "HOARD_CRASH_CHILD="+strings.Join([]string{"--vault", vdir, "mcp", "--llm", "none"}, "\x1f"))
	return cmd
}

// `hoard mcp` in its own process, spoken to over its stdin and stdout:
// initialize, tools/list, tools/call search and get_document.
func TestMCPOverStdio(t *testing.T) {
	cmd := teaMCP(t)
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if info := cs.InitializeResult(); info == nil || info.ServerInfo.Name != "hoard" {
		t.Fatalf("initialize: %+v", info)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 5 {
		t.Fatalf("tools/list: %+v %v", tools, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "steamed leaves", "limit": 3}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call search: %+v %v", res, err)
	}
	out := res.StructuredContent.(map[string]any)["results"].([]any)
	hit := out[0].(map[string]any)
	if len(out) != 1 || hit["title"] != "Tea" || !strings.HasSuffix(hit["path"].(string), "tea.md") {
		t.Fatalf("search results %+v", out)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_document", Arguments: map[string]any{"doc_id": hit["doc_id"]}})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "Camellia sinensis") {
		t.Fatalf("get_document: %+v %v", res, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_document", Arguments: map[string]any{"doc_id": 999}})
	if err != nil || !res.IsError {
		t.Fatalf("get_document of a missing id: %+v %v", res, err)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask", Arguments: map[string]any{"question": "What is green tea made from?"}})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "Camellia sinensis") {
		t.Fatalf("ask: %+v %v", res, err)
	}
}

// Conversations and memories from the command line.
func TestChatAndMemoryCommands(t *testing.T) {
	vdir, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "tea.md"), []byte("# Tea\n\nGreen tea is made from the steamed leaves of Camellia sinensis.\n"), 0o644)
	mustRun(t, "--vault", vdir, "add", src)
	mustRun(t, "--vault", vdir, "ask", "--llm", "none", "--chat", "new", "What is green tea made from?")
	if out := mustRun(t, "--vault", vdir, "chats"); !strings.Contains(out, "2 messages  What is green tea made from?") {
		t.Fatalf("chats: %q", out)
	}
	mustRun(t, "--vault", vdir, "ask", "--llm", "none", "--chat", "1", "How is it processed?")
	if out := mustRun(t, "--vault", vdir, "chats", "show", "1"); strings.Count(out, "assistant:") != 2 {
		t.Fatalf("chats show: %q", out)
	}
	if _, err := run(t, "--vault", vdir, "ask", "--chat", "x", "hi"); err == nil {
		t.Error("--chat x accepted")
	}
	if out := mustRun(t, "--vault", vdir, "remember", "Buy", "more", "sencha", "on", "Friday."); !strings.Contains(out, "remembered as document") {
		t.Fatalf("remember: %q", out)
	}
	out := mustRun(t, "--vault", vdir, "memories")
	if !strings.Contains(out, "Buy more sencha on Friday.") {
		t.Fatalf("memories: %q", out)
	}
	id := strings.Fields(out)[0]
	if out := mustRun(t, "--vault", vdir, "search", "sencha"); !strings.Contains(out, "Buy more sencha") {
		t.Fatalf("search for the memory: %q", out)
	}
	mustRun(t, "--vault", vdir, "memories", "forget", id)
	if out := mustRun(t, "--vault", vdir, "memories"); strings.TrimSpace(out) != "" {
		t.Fatalf("after forget: %q", out)
	}
	if out := mustRun(t, "--vault", vdir, "memory"); !strings.Contains(out, "1 documents, 0 gists by a language model, 0 facts (1 passages not read)") {
		t.Fatalf("memory: %q", out)
	}
	if _, err := run(t, "--vault", vdir, "memory", "--build", "--llm", "none"); err == nil {
		t.Error("memory --build without a model did not fail")
	}
}

// hoard add --facts: a language model (a local server speaking the OpenAI
// protocol) reads facts from the new passages as they are indexed.
func TestAddWithFacts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			io.WriteString(w, `{"data":[{"id":"m"}]}`)
			return
		}
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant",
			"content": "Green tea | made from | Camellia sinensis\nGreen tea | processed by | steaming"}}}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer srv.Close()
	vdir, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "tea.md"), []byte("# Tea\n\nGreen tea is made from the steamed leaves of Camellia sinensis.\n"), 0o644)
	mustRun(t, "--vault", vdir, "add", "--facts", "--llm", "openai", "--llm-url", srv.URL, src)
	out := mustRun(t, "--vault", vdir, "memory", "--json")
	var m struct {
		Facts  int `json:"facts"`
		Unread int `json:"passages_unread"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Facts != 2 || m.Unread != 0 {
		t.Fatalf("memory after add --facts: %s", out)
	}
}

// `hoard mcp` over real pipes answers a line that is not JSON-RPC with an
// error (id null) and goes on, and answers every request it has read
// before stdin closes, even when stdin closes at once.
func TestMCPStdioBadLinesAndEOF(t *testing.T) {
	cmd := teaMCP(t)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`,
		`this is not json`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"not":"json-rpc"}`,
		`[{"jsonrpc":"2.0","id":9,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search","arguments":{"query":"steamed leaves"}}}`,
		`"` + strings.Repeat("x", 17<<20) + `"`, // longer than a line may be
		`{"jsonrpc":"2.0","id":3,"method":"ping"}`,
	}
	go func() {
		for _, l := range lines {
			io.WriteString(stdin, l+"\n")
		}
		stdin.Close()
	}()
	type reply struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	var replies []reply
	dec := json.NewDecoder(stdout)
	for {
		var r reply
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("hoard mcp exited with %v", err)
	}
	byID, codes := map[string]reply{}, []int{}
	for _, r := range replies {
		if string(r.ID) == "null" {
			if r.Error == nil {
				t.Fatalf("a reply with id null and no error: %+v", r)
			}
			codes = append(codes, r.Error.Code)
			continue
		}
		byID[string(r.ID)] = r
	}
	if want := []int{-32700, -32600, -32600, -32700}; fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("errors for the bad lines: %v, want %v", codes, want)
	}
	for _, id := range []string{"1", "2", "3"} {
		if r, ok := byID[id]; !ok || r.Error != nil {
			t.Errorf("request %s: %+v (present %v)", id, r, ok)
		}
	}
	if !strings.Contains(string(byID["2"].Result), "Camellia sinensis") {
		t.Errorf("search result: %s", byID["2"].Result)
	}
}
