package ingest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/ignore"
)

// job is one thing to index: a file, or one record of a JSONL corpus.
type job struct {
	path       string // source path stored in the vault (record: file#id)
	file       string // file on disk
	record     *corpusRecord
	err        error // a failure found while walking (loop, unreadable)
	collection string
	attempts   int // earlier attempts of its queue item
}

type corpusRecord struct {
	ID       string         `json:"_id"`
	Title    string         `json:"title"`
	Text     string         `json:"text"`
	Metadata map[string]any `json:"metadata"`
}

// errNoSuchFile is reported but not stored: there is nothing to keep a
// document for (a typo, a dangling link).
var errNoSuchFile = errors.New("no such file")

// walker expands the paths given to Add into file jobs, handing each to
// emit as it is found, so a folder of any size is walked in constant memory.
type walker struct {
	skipDir  string // the vault's own folder
	skipped  int
	warnings []string
	// rules gives the ignore rules for a folder being walked; by default
	// the .hoardignore files from that folder down.
	rules func(dir string) *ignore.Rules
	emit  func(job) error
	err   error // the first error emit returned; the walk stops there
}

func (w *walker) add(j job) {
	if w.err == nil {
		w.err = w.emit(j)
	}
}

func (w *walker) walk(paths []string) error {
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			w.add(job{path: p, err: err})
			continue
		}
		fi, err := os.Stat(abs)
		switch {
		case err != nil:
			w.add(job{path: abs, file: abs, err: statError(err)})
		case fi.IsDir():
			visited := map[string]bool{}
			rules := ignore.New(abs)
			if w.rules != nil {
				rules = w.rules(abs)
			}
			w.walkDir(abs, visited, rules)
		default:
			w.add(job{path: abs, file: abs})
		}
		if w.err != nil {
			return w.err
		}
	}
	return w.err
}

func statError(err error) error {
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("symlink loop: %w", err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("cannot read: permission denied")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return errNoSuchFile
	}
	return err
}

// walkDir follows symlinked folders but never one it has already visited,
// which is how a symlink loop is cut.
func (w *walker) walkDir(dir string, visited map[string]bool, rules *ignore.Rules) {
	if w.err != nil {
		return
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.add(job{path: dir, file: dir, err: statError(err)})
		return
	}
	if visited[real] {
		w.warnings = append(w.warnings, fmt.Sprintf("%s: symlink loop (already visited %s), skipped", dir, real))
		return
	}
	if w.skipDir != "" && real == w.skipDir {
		return
	}
	visited[real] = true
	entries, err := os.ReadDir(dir)
	if err != nil && transient(err) {
		// Out of descriptors, say: the folder is walked again later.
		w.add(job{path: dir, file: dir, err: fmt.Errorf("read folder: %w", err)})
		return
	}
	if err != nil {
		w.warnings = append(w.warnings, fmt.Sprintf("%s: %v", dir, statError(err)))
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if ignore.Name(e.Name()) {
			w.skipped++
			continue
		}
		p := filepath.Join(dir, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				w.add(job{path: p, file: p, err: statError(err)})
				continue
			}
			typ = fi.Mode().Type()
		}
		if rules.Ignored(p, typ.IsDir()) {
			w.skipped++
			continue
		}
		switch {
		case typ.IsDir():
			w.walkDir(p, visited, rules)
		case !typ.IsRegular():
			w.skipped++ // sockets, devices, pipes
		case extract.Known(e.Name()) || audio.MediaType(e.Name()) != "" || isCorpus(p):
			w.add(job{path: p, file: p})
		default:
			w.skipped++
		}
	}
}

// isCorpus recognizes a BEIR-style corpus: JSON lines with "_id" and "text".
func isCorpus(p string) bool {
	ok, _ := probeCorpus(p)
	return ok
}

// probeCorpus is isCorpus with the error that kept it from looking (too
// many open files, say), so a file is not taken for what it is not.
func probeCorpus(p string) (bool, error) {
	if !strings.EqualFold(filepath.Ext(p), ".jsonl") {
		return false, nil
	}
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return false, err // a pipe named .jsonl would block the open
	}
	f, err := os.OpenFile(p, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 1<<20).ReadBytes('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(line, &probe) != nil {
		return false, nil
	}
	_, hasID := probe["_id"]
	_, hasText := probe["text"]
	return hasID && hasText, nil
}

// corpus reads every record of a JSONL corpus; each becomes a document whose
// path is "file#id". A bad line fails alone.
func corpusJobs(p string) []job {
	f, err := os.Open(p)
	if err != nil {
		return []job{{path: p, file: p, err: statError(err)}}
	}
	defer f.Close()
	var jobs []job
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r corpusRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.ID == "" {
			jobs = append(jobs, job{path: fmt.Sprintf("%s#line%d", p, n), err: fmt.Errorf("line %d: not a corpus record", n)})
			continue
		}
		jobs = append(jobs, job{path: p + "#" + r.ID, file: p, record: &r})
	}
	if err := sc.Err(); err != nil {
		jobs = append(jobs, job{path: p, file: p, err: fmt.Errorf("read corpus: %w", err)})
	}
	return jobs
}
