// Package ignore decides which files a folder walk or a folder watch passes
// over: hidden names, the temporary and lock files of editors and office
// suites, and what .hoardignore files (gitignore syntax) exclude.
package ignore

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	gitignore "github.com/sabhiram/go-gitignore"
)

// FileName is the per-folder ignore file; its rules apply to the folder and
// everything below it.
const FileName = ".hoardignore"

// Name reports whether a file or folder name is always passed over.
func Name(name string) bool {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, "~$"), strings.HasSuffix(name, "~"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"):
		return true
	case lower == "thumbs.db", lower == "desktop.ini", lower == "node_modules", lower == "__pycache__":
		return true
	}
	for _, ext := range []string{".swp", ".swo", ".swx", ".tmp", ".temp", ".part", ".crdownload", ".partial", ".bak", ".lock"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// Rules applies Name and the .hoardignore files between a root folder and a
// path. Ignore files are read once and cached until Forget.
type Rules struct {
	root string
	mu   sync.Mutex
	dirs map[string]*gitignore.GitIgnore // nil: the folder has no ignore file
}

// New returns the rules for paths below root.
func New(root string) *Rules {
	return &Rules{root: filepath.Clean(root), dirs: map[string]*gitignore.GitIgnore{}}
}

// Root is the folder the rules start from.
func (r *Rules) Root() string { return r.root }

// Ignored reports whether path (below the root) is passed over.
func (r *Rules) Ignored(path string, isDir bool) bool {
	path = filepath.Clean(path)
	if path == r.root {
		return false
	}
	rel, err := filepath.Rel(r.root, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for _, p := range parts {
		if Name(p) {
			return true
		}
	}
	// Every folder from the root down to the parent may hold rules; a path
	// is matched relative to the folder whose file names it.
	dir := r.root
	for i := range parts {
		if m := r.rules(dir); m != nil {
			sub := strings.Join(parts[i:], "/")
			if isDir {
				sub += "/"
			}
			if m.MatchesPath(sub) {
				return true
			}
		}
		dir = filepath.Join(dir, parts[i])
	}
	return false
}

func (r *Rules) rules(dir string) *gitignore.GitIgnore {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.dirs[dir]
	if !ok {
		if data, err := os.ReadFile(filepath.Join(dir, FileName)); err == nil {
			m = gitignore.CompileIgnoreLines(strings.Split(string(data), "\n")...)
		}
		r.dirs[dir] = m
	}
	return m
}

// Forget drops the cached rules of dir, after its ignore file changed.
func (r *Rules) Forget(dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.dirs, filepath.Clean(dir))
}
