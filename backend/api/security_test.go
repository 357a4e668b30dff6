package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/api"
)

// A browser's request is accepted only from this server's own origin:
// scheme, host and port. A page on another port of the same machine gets
// the session cookie too (cookies ignore ports), so the port must match.
func TestOriginMustMatch(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token, AllowHosts: []string{"vault.lan"}})
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	other := "1" + port // another port of the same host
	if len(other) > 5 {
		other = port[:len(port)-1]
	}
	self := "http://127.0.0.1:" + port
	for _, tc := range []struct {
		name, host, origin, fetchSite string
		want                          int
	}{
		{"same origin", "", self, "same-origin", 201},
		{"same origin by name", "localhost:" + port, "http://localhost:" + port, "", 201},
		{"same origin, allowed host", "vault.lan:" + port, "http://VAULT.lan:" + port, "", 201},
		{"no Origin (not a browser)", "", "", "", 201},
		{"other port", "", "http://127.0.0.1:" + other, "", 403},
		{"other port, same site", "", "", "same-site", 403},
		{"other scheme", "", "https://127.0.0.1:" + port, "", 403},
		{"other host", "", "http://localhost:" + port, "", 403},
		{"other allowed host", "", "http://vault.lan:" + port, "", 403},
		{"default port", "", "http://127.0.0.1", "", 403},
		{"other site", "", "https://attacker.example", "cross-site", 403},
		{"null", "", "null", "", 403},
		{"path in Origin", "", self + "/x", "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
			if tc.host != "" {
				h["Host"] = tc.host
			}
			if tc.origin != "" {
				h["Origin"] = tc.origin
			}
			if tc.fetchSite != "" {
				h["Sec-Fetch-Site"] = tc.fetchSite
			}
			before := memoryCount(t, srv.URL)
			code, body := do(t, "POST", srv.URL+"/api/memories", strings.NewReader(`{"text":"a note from `+tc.name+`"}`), h)
			if code != tc.want {
				t.Fatalf("POST /api/memories: %d %s, want %d", code, body, tc.want)
			}
			added := memoryCount(t, srv.URL) - before
			if wantAdded := map[bool]int{true: 1}[tc.want == 201]; added != wantAdded {
				t.Errorf("%d memories added, want %d", added, wantAdded)
			}
		})
	}
}

func memoryCount(t *testing.T, base string) int {
	t.Helper()
	var page struct {
		Total int `json:"total"`
	}
	getJSON(t, base+"/api/memories", &page)
	return page.Total
}

// JSON routes take JSON only: the body kinds a page of another site may
// send without asking first (text/plain, forms) are refused before they are
// read as JSON. Uploads take multipart only.
func TestBodiesMustBeTheirKind(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token})
	form, formType := multipartFiles(t, [2]string{"tea.md", "# Tea\n\nGreen tea.\n"})
	note := `{"text":"a note"}`
	for _, tc := range []struct {
		name, method, path, ctype, body string
		want                            int
	}{
		{"JSON", "POST", "/api/memories", "application/json", note, 201},
		{"JSON with charset", "POST", "/api/memories", "application/json; charset=utf-8", note, 201},
		{"text/plain", "POST", "/api/memories", "text/plain", note, 415},
		{"text/plain with charset", "POST", "/api/memories", "text/plain;charset=UTF-8", note, 415},
		{"form", "POST", "/api/memories", "application/x-www-form-urlencoded", note, 415},
		{"multipart to a JSON route", "POST", "/api/memories", formType, form.String(), 415},
		{"no type", "POST", "/api/memories", "", note, 415},
		{"watch a folder as text", "POST", "/api/watched", "text/plain", `{"path":"` + t.TempDir() + `"}`, 415},
		{"settings as text", "PUT", "/api/llm", "text/plain", `{}`, 415},
		{"rename as a form", "PATCH", "/api/conversations/1", "application/x-www-form-urlencoded", `{"title":"x"}`, 415},
		{"upload as JSON", "POST", "/api/documents", "application/json", `{}`, 415},
		{"upload as text", "POST", "/api/documents", "text/plain", "hello", 415},
		{"import as text", "POST", "/api/import", "text/plain", "hello", 415},
		{"upload", "POST", "/api/documents?wait=true", formType, form.String(), 200},
		{"no body needs no type", "POST", "/api/documents/999/reindex", "", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + token}
			if tc.ctype != "" {
				h["Content-Type"] = tc.ctype
			}
			before := memoryCount(t, srv.URL)
			code, body := do(t, tc.method, srv.URL+tc.path, strings.NewReader(tc.body), h)
			if code != tc.want {
				t.Fatalf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.ctype, code, body, tc.want)
			}
			if code == 415 && memoryCount(t, srv.URL) != before {
				t.Error("a refused body was stored")
			}
		})
	}
	var watched []any
	getJSON(t, srv.URL+"/api/watched", &watched)
	if len(watched) != 0 {
		t.Errorf("a folder sent as text/plain is watched: %v", watched)
	}
}

// Every answer says not to be framed nor sniffed, and the UI's pages carry
// a content security policy.
func TestSecurityHeaders(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token})
	for _, path := range []string{"/", "/api/status", "/api/nope"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}
