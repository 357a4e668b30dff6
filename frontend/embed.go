// Package frontend holds the built UI (dist/, made by `make frontend`) for
// `hoard serve` and the desktop window. A checkout that has not built it
// holds only dist/.keep, and Handler says so.
package frontend

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Assets is the built UI's files (index.html at the root).
func Assets() fs.FS {
	sub, _ := fs.Sub(dist, "dist") // a constant, valid path
	return sub
}

// Built reports whether the UI was built into this binary.
func Built() bool {
	_, err := fs.Stat(Assets(), "index.html")
	return err == nil
}

// Handler serves the UI: files as they are (hashed assets cached for good),
// and index.html for every other path, so the app's own routes load. It is
// nil when the UI was not built.
func Handler() http.Handler {
	if !Built() {
		return nil
	}
	return serveApp(Assets())
}

// serveApp serves an app's files from files.
func serveApp(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if fi, err := fs.Stat(files, name); err == nil && !fi.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				fileServer.ServeHTTP(w, r)
				return
			}
			if path.Ext(name) != "" {
				http.NotFound(w, r) // a missing file, not an app route
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, "index.html")
	})
}
