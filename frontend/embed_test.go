package frontend

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestServeApp(t *testing.T) {
	files := fstest.MapFS{
		"index.html":       {Data: []byte("<!doctype html><title>Hoard</title>")},
		"assets/app-1.js":  {Data: []byte("console.log(1)")},
		"assets/app-1.css": {Data: []byte("body{}")},
	}
	h := serveApp(files)
	for _, tc := range []struct {
		path, want, cache string
		code              int
	}{
		{"/", "<title>Hoard</title>", "no-cache", 200},
		{"/library", "<title>Hoard</title>", "no-cache", 200}, // an app route
		{"/assets/app-1.js", "console.log(1)", "immutable", 200},
		{"/assets/missing.js", "", "", 404},
		{"/favicon.ico", "", "", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, rec.Code, tc.code)
			continue
		}
		if tc.code != 200 {
			continue
		}
		if body := rec.Body.String(); !strings.Contains(body, tc.want) {
			t.Errorf("%s: body %q", tc.path, body)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, tc.cache) {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, cc, tc.cache)
		}
	}
}
