package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// SessionCookie carries the browser UI's access after it was opened with
// the token link that `hoard serve` prints.
const SessionCookie = "hoard_session"

// NewToken makes a random access token.
func NewToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// loopbackHosts are the names a local server answers to.
var loopbackHosts = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(strings.Trim(hostport, "[]"))
}

// allowedHost: loopback names and the hosts the user allowed. A Host header
// naming anything else is a DNS-rebinding attempt (an attacker's name
// resolved to 127.0.0.1), so it is refused.
func (s *Server) allowedHost(h string) bool {
	h = hostOnly(h)
	return loopbackHosts[h] || s.hosts[h]
}

// allowedOrigin: no Origin (not a browser, or a same-origin GET), this
// server's own origin (scheme, host and port alike), or the desktop
// webview's. A page on another port of this machine is another origin but
// the same site: it gets the session cookie (cookies ignore ports), so its
// port has to be checked here.
func (s *Server) allowedOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	if u.Scheme == "wails" {
		return s.opt.Trusted
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && canonHost(u.Host, scheme) == canonHost(r.Host, scheme)
}

// canonHost is host:port in lower case, with the scheme's default port.
func canonHost(hostport, scheme string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// sameOrigin: what the browser says of where a request comes from. "none"
// is the user's own navigation (the token link); "same-site" includes the
// other ports of this host.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

func (s *Server) hasToken(r *http.Request) bool {
	if s.opt.Trusted {
		return true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(strings.TrimSpace(tok), s.opt.Token) {
		return true
	}
	if c, err := r.Cookie(SessionCookie); err == nil && equal(c.Value, s.session) {
		return true
	}
	return false
}

func equal(a, b string) bool {
	return b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// guard applies the checks to every request: Host, Origin and (outside the
// desktop app) the token.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r = s.bound(w, r)
		s.secureHeaders(w.Header())
		if !s.opt.Trusted && !s.allowedHost(r.Host) {
			writeError(w, http.StatusForbidden, "host "+r.Host+" is not allowed (start hoard serve with --allow-host to add it)")
			return
		}
		if !s.allowedOrigin(r) || !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin requests are not allowed")
			return
		}
		if r.URL.Path == "/" || !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/mcp" {
			next.ServeHTTP(w, r) // the UI's files; the page itself signs in with the token link
			return
		}
		if !s.hasToken(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hoard"`)
			writeError(w, http.StatusUnauthorized, "a bearer token is required (hoard serve prints it)")
			return
		}
		if !s.checkBody(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// uiPolicy lets the UI load its own scripts, styles, images and media and
// talk to its own server, and nothing else; no page may frame it.
const uiPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// secureHeaders: no answer may be framed (clickjacking) or read as another
// type than it says. The desktop window's webview keeps its own policy.
func (s *Server) secureHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	if !s.opt.Trusted {
		h.Set("Content-Security-Policy", uiPolicy)
	}
}

// signIn turns the token link into a session cookie for the browser UI and
// sends it on without the token in its address.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("token")
	if tok == "" || !equal(tok, s.opt.Token) {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	q := r.URL.Query()
	q.Del("token")
	u := *r.URL
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return true
}
