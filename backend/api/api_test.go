package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

const token = "test-token"

func newServer(t *testing.T, opt api.Options) (*httptest.Server, *vault.Vault) {
	t.Helper()
	v, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	srv := httptest.NewServer(api.New(v, opt).Handler())
	t.Cleanup(srv.Close)
	return srv, v
}

func do(t *testing.T, method, u string, body io.Reader, header map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The token, Host and Origin checks: only loopback (or allowed) host names,
// no other site's pages, and a token from everyone but the desktop window.
func TestAccessChecks(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token, AllowHosts: []string{"vault.lan"}})
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	auth := "Bearer " + token
	for _, tc := range []struct {
		name   string
		path   string
		header map[string]string
		want   int
	}{
		{"token", "/api/status", map[string]string{"Authorization": auth}, 200},
		{"no token", "/api/status", nil, 401},
		{"wrong token", "/api/status", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"MCP needs the token", "/mcp", nil, 401},
		{"localhost by name", "/api/status", map[string]string{"Authorization": auth, "Host": "localhost:" + port}, 200},
		{"DNS rebinding", "/api/status", map[string]string{"Authorization": auth, "Host": "attacker.example:" + port}, 403},
		{"rebinding without token", "/", map[string]string{"Host": "attacker.example"}, 403},
		{"allowed host", "/api/status", map[string]string{"Authorization": auth, "Host": "vault.lan:" + port}, 200},
		{"same origin", "/api/status", map[string]string{"Authorization": auth, "Origin": "http://127.0.0.1:" + port}, 200},
		{"other origin", "/api/status", map[string]string{"Authorization": auth, "Origin": "https://attacker.example"}, 403},
		{"null origin", "/api/status", map[string]string{"Authorization": auth, "Origin": "null"}, 403},
		{"cross-site fetch", "/api/status", map[string]string{"Authorization": auth, "Sec-Fetch-Site": "cross-site"}, 403},
		{"desktop origin outside the app", "/api/status", map[string]string{"Authorization": auth, "Origin": "wails://wails"}, 403},
		{"UI page", "/", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := do(t, "GET", srv.URL+tc.path, nil, tc.header); code != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.path, code, body, tc.want)
			}
		})
	}
	// The token link signs the browser in with a cookie and drops the token
	// from the address.
	jar := &cookieJar{}
	client := &http.Client{Jar: jar}
	resp, err := client.Get(srv.URL + "/?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.RawQuery != "" || len(jar.cookies) != 1 || jar.cookies[0].Name != api.SessionCookie || jar.cookies[0].Value == token {
		t.Fatalf("sign-in: landed on %s with cookies %+v", resp.Request.URL, jar.cookies)
	}
	resp, err = client.Get(srv.URL + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("signed-in browser got %d", resp.StatusCode)
	}
	// The desktop window is trusted: no token, its own origin.
	desk, _ := newServer(t, api.Options{Trusted: true})
	if code, body := do(t, "GET", desk.URL+"/api/status", nil, map[string]string{"Origin": "wails://wails", "Host": "wails.localhost"}); code != 200 {
		t.Errorf("desktop: %d %s", code, body)
	}
}

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

// The library round trip through the API: upload a real PDF, list, search,
// read it, ask (JSON and streamed) in a conversation, keep a memory, delete.
func TestLibraryChatAndMemories(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token})
	auth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	pdf := filepath.Join(testdata.Shared(t, "samples/docs"), "pdfminer", "simple1.pdf")
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", filepath.Base(pdf))
	fw.Write(data)
	fw2, _ := mw.CreateFormFile("file", "tea.md")
	io.WriteString(fw2, "# Tea\n\nGreen tea is made from the steamed leaves of Camellia sinensis.\n")
	mw.Close()
	code, body := do(t, "POST", srv.URL+"/api/documents?wait=true", &buf, map[string]string{"Authorization": "Bearer " + token, "Content-Type": mw.FormDataContentType()})
	var sum vault.Summary
	if code != 200 || json.Unmarshal(body, &sum) != nil || sum.Indexed != 2 {
		t.Fatalf("upload: %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/api/documents?limit=1", nil, auth)
	var page struct {
		Items []struct {
			ID    int64    `json:"id"`
			Title string   `json:"title"`
			Paths []string `json:"paths"`
		}
		Total int
	}
	if code != 200 || json.Unmarshal(body, &page) != nil || page.Total != 2 || len(page.Items) != 1 {
		t.Fatalf("list: %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/api/search?q=Camellia+sinensis", nil, auth)
	var found struct {
		Hits []struct {
			DocID int64  `json:"doc_id"`
			Title string `json:"title"`
		}
	}
	if code != 200 || json.Unmarshal(body, &found) != nil || len(found.Hits) == 0 || found.Hits[0].Title != "Tea" {
		t.Fatalf("search: %d %s", code, body)
	}
	tea := found.Hits[0].DocID
	if code, body = do(t, "GET", srv.URL+"/api/documents/"+itoa(tea), nil, auth); code != 200 || !strings.Contains(string(body), `"chunks":[{`) {
		t.Fatalf("document: %d %s", code, body)
	}
	if code, _ = do(t, "GET", srv.URL+"/api/documents/999999", nil, auth); code != 404 {
		t.Errorf("unknown document: %d", code)
	}
	if code, _ = do(t, "GET", srv.URL+"/api/documents/abc", nil, auth); code != 400 {
		t.Errorf("bad id: %d", code)
	}

	// Streamed answer in a new conversation: deltas, then the whole answer.
	code, body = do(t, "POST", srv.URL+"/api/ask", strings.NewReader(`{"question":"What is green tea made from?","stream":true,"new_conversation":true}`), auth)
	events := sse(t, body)
	if code != 200 || len(events) < 2 || events[0].name != "delta" || events[len(events)-1].name != "answer" {
		t.Fatalf("stream: %d %q", code, body)
	}
	var ans struct {
		Answer       string `json:"answer"`
		Conversation int64  `json:"conversation_id"`
		Citations    []struct {
			Title string `json:"title"`
		} `json:"citations"`
	}
	json.Unmarshal([]byte(events[len(events)-1].data), &ans)
	if !strings.Contains(ans.Answer, "Camellia sinensis") || ans.Conversation == 0 || len(ans.Citations) == 0 || ans.Citations[0].Title != "Tea" {
		t.Fatalf("answer %+v", ans)
	}
	code, body = do(t, "POST", srv.URL+"/api/ask", strings.NewReader(`{"question":"How is it processed?","conversation_id":`+itoa(ans.Conversation)+`}`), auth)
	if code != 200 || !strings.Contains(string(body), "steamed") {
		t.Fatalf("follow-up: %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/api/conversations/"+itoa(ans.Conversation), nil, auth)
	if code != 200 || strings.Count(string(body), `"role"`) != 4 {
		t.Fatalf("conversation: %d %s", code, body)
	}
	if code, body = do(t, "POST", srv.URL+"/api/ask", strings.NewReader(`{"question":" "}`), auth); code != 400 {
		t.Errorf("empty question: %d %s", code, body)
	}

	// Memories.
	code, body = do(t, "POST", srv.URL+"/api/memories", strings.NewReader(`{"text":"The spare key is under the blue flowerpot."}`), auth)
	var created struct{ ID int64 }
	if code != 201 || json.Unmarshal(body, &created) != nil || created.ID == 0 {
		t.Fatalf("remember: %d %s", code, body)
	}
	if code, body = do(t, "GET", srv.URL+"/api/search?q=spare+key", nil, auth); !strings.Contains(string(body), `"collection":"memories"`) {
		t.Fatalf("memory not found: %d %s", code, body)
	}
	if code, _ = do(t, "PUT", srv.URL+"/api/memories/"+itoa(created.ID), strings.NewReader(`{"text":"The spare key is with the neighbour."}`), auth); code != 204 {
		t.Errorf("edit memory: %d", code)
	}
	if code, _ = do(t, "DELETE", srv.URL+"/api/memories/"+itoa(tea), nil, auth); code == 204 {
		t.Error("a library document was forgotten as a memory")
	}
	if code, _ = do(t, "DELETE", srv.URL+"/api/memories/"+itoa(created.ID), nil, auth); code != 204 {
		t.Errorf("forget: %d", code)
	}
	if code, body = do(t, "GET", srv.URL+"/api/memory", nil, auth); code != 200 || !strings.Contains(string(body), `"documents":2`) {
		t.Errorf("global memory: %d %s", code, body)
	}
	if code, _ = do(t, "DELETE", srv.URL+"/api/documents/"+itoa(tea), nil, auth); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, body = do(t, "GET", srv.URL+"/api/documents", nil, auth); !strings.Contains(string(body), `"total":1`) {
		t.Errorf("after delete: %d %s", code, body)
	}
}

type event struct{ name, data string }

func sse(t *testing.T, body []byte) []event {
	var out []event
	var cur event
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		case line == "" && cur.name != "":
			out = append(out, cur)
			cur = event{}
		}
	}
	return out
}

func itoa(n int64) string { return formatInt(n) }

func formatInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// bearer adds the token to every request of an MCP client.
type bearer struct{ rt http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return b.rt.RoundTrip(r)
}

// MCP over streamable HTTP under the API: initialize, list the tools, call
// search and add_note.
func TestMCPOverHTTP(t *testing.T) {
	srv, v := newServer(t, api.Options{Token: token})
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "tea.md"), []byte("# Tea\n\nGreen tea is made from the steamed leaves of Camellia sinensis.\n"), 0o644)
	if _, err := v.Add(context.Background(), []string{src}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: &http.Client{Transport: bearer{http.DefaultTransport}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	if strings.Join(names, ",") != "add_note,ask,get_document,list_sources,search" {
		t.Fatalf("tools %v", names)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "Camellia sinensis"}})
	if err != nil || res.IsError {
		t.Fatalf("search: %+v %v", res, err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, `"title":"Tea"`) {
		t.Fatalf("search result %s", text)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "add_note", Arguments: map[string]any{"text": "Oolong is partly oxidized."}})
	if err != nil || res.IsError {
		t.Fatalf("add_note: %+v %v", res, err)
	}
	if mems, _, _ := v.Memories(ctx, 10, 0); len(mems) != 1 {
		t.Fatalf("memories after add_note: %+v", mems)
	}
}

// Watched folders, the indexing queue and the transcription settings: what
// the settings screen reads and writes. The API key is never sent back.
func TestWatchedQueueAndTranscription(t *testing.T) {
	srv, v := newServer(t, api.Options{Token: token})
	h := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	dir := t.TempDir()
	if code, body := do(t, "POST", srv.URL+"/api/watched", strings.NewReader(`{"path":"`+dir+`","collection":"inbox"}`), h); code != 201 {
		t.Fatalf("watch: %d %s", code, body)
	}
	if code, body := do(t, "POST", srv.URL+"/api/watched", strings.NewReader(`{"path":"/no/such/folder"}`), h); code != 400 || !strings.Contains(string(body), "no such file") {
		t.Fatalf("watching a missing folder: %d %s", code, body)
	}
	_, body := do(t, "GET", srv.URL+"/api/watched", nil, h)
	var ws []struct{ Path, Collection string }
	if json.Unmarshal(body, &ws); len(ws) != 1 || ws[0].Path != dir || ws[0].Collection != "inbox" {
		t.Fatalf("watched: %s", body)
	}
	// Audio without an engine waits in the queue.
	memo := filepath.Join(t.TempDir(), "memo.wav")
	data, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.wav"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(memo, data, 0o644)
	if _, err := v.Add(context.Background(), []string{memo}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	_, body = do(t, "GET", srv.URL+"/api/queue", nil, h)
	var q struct {
		Waiting int
		Items   []struct{ Path, State, Reason string }
	}
	if json.Unmarshal(body, &q); q.Waiting != 1 || len(q.Items) != 1 || q.Items[0].State != "waiting" || !strings.Contains(q.Items[0].Reason, "transcription engine") {
		t.Fatalf("queue: %s", body)
	}
	if code, body := do(t, "PUT", srv.URL+"/api/transcription", strings.NewReader(`{"url":"not a url"}`), h); code != 400 {
		t.Fatalf("bad engine URL: %d %s", code, body)
	}
	code, body := do(t, "PUT", srv.URL+"/api/transcription", strings.NewReader(`{"url":"http://127.0.0.1:9/","api_key":"sk-secret","language":"en"}`), h)
	if code != 200 || strings.Contains(string(body), "sk-secret") || !strings.Contains(string(body), `"language":"en"`) {
		t.Fatalf("set transcription: %d %s", code, body)
	}
	// Sending the masked key back keeps the real one.
	do(t, "PUT", srv.URL+"/api/transcription", strings.NewReader(`{"url":"http://127.0.0.1:9/","api_key":"********","language":"de"}`), h)
	if cur, _ := v.Transcription(context.Background()); cur.APIKey != "sk-secret" || cur.Language != "de" {
		t.Fatalf("stored settings: %+v", cur)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/api/watched?path="+url.QueryEscape(dir), nil, h); code != 204 {
		t.Fatalf("unwatch: %d", code)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/api/watched?path="+url.QueryEscape(dir), nil, h); code != 404 {
		t.Fatalf("unwatching twice: %d, want 404", code)
	}
}
