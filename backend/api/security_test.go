package api_test

import (
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
