package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hoardvault/hoard/backend/ignore"
	"github.com/hoardvault/hoard/backend/store"
)

// AddWatched records dir as a watched folder; documents from it go to
// collection.
func (s *Service) AddWatched(ctx context.Context, dir, collection string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("watch %s: %w", dir, statError(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("watch %s: not a folder", dir)
	}
	if under(abs, s.cfg.Dir) {
		return "", fmt.Errorf("watch %s: that is the vault's own folder", dir)
	}
	if collection == "" {
		collection = store.DefaultCollection
	}
	if err := s.st.AddWatched(ctx, abs, collection); err != nil {
		return "", err
	}
	s.KickWatch()
	return abs, nil
}

// RemoveWatched stops watching dir; what was indexed from it stays.
func (s *Service) RemoveWatched(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := s.st.RemoveWatched(ctx, abs); err != nil {
		return err
	}
	s.KickWatch()
	return nil
}

// KickWatch tells a running Watch that the watched folders changed, or
// that files waiting in the queue may be worked now.
func (s *Service) KickWatch() {
	select {
	case s.watchKick <- struct{}{}:
	default:
	}
}

// under reports whether p is dir or lies below it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// rulesFor returns the ignore rules that apply to dir: those of the watched
// folder holding it, so a .hoardignore above dir still counts.
func (s *Service) rulesFor(dir string) *ignore.Rules {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	var best *ignore.Rules
	for root, r := range s.rules {
		if under(dir, root) && (best == nil || len(root) > len(best.Root())) {
			best = r
		}
	}
	if best == nil {
		return ignore.New(dir)
	}
	return best
}

// setRules takes up the ignore rules of the watched folders.
func (s *Service) setRules(folders []store.WatchedFolder) {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	s.rules = map[string]*ignore.Rules{}
	for _, f := range folders {
		s.rules[f.Path] = ignore.New(f.Path)
	}
}

// skip is the watcher's ignore test: the vault's own folder and the ignore
// rules of the watched folder.
func (s *Service) skip(p string, isDir bool) bool {
	if under(p, s.cfg.Dir) {
		return true
	}
	return s.rulesFor(p).Ignored(p, isDir)
}

// WatchStatus is what the background watch is doing, for status readers
// (the API, the UI).
type WatchStatus struct {
	Running  bool `json:"running"`
	Retrying bool `json:"retrying,omitempty"`
	// Message says why and when it tries again, e.g. "retrying in 4s:
	// database is locked".
	Message string    `json:"message,omitempty"`
	RetryAt time.Time `json:"retry_at,omitzero"`
	// Failures in a row since the watch last ran cleanly.
	Failures int `json:"failures,omitempty"`
	// Pid is the process watching, when it is another one (a `hoard serve`
	// seen from `hoard status`).
	Pid int `json:"pid,omitempty"`
}

// watchStateFile, in the vault folder, tells other processes what this
// one's watch is doing: a file, not a row, because the faults it reports
// (the database locked, the disk full) are the ones that stop writes to
// the database.
const watchStateFile = "watch-state.json"

type watchState struct {
	Pid    int         `json:"pid"`
	Status WatchStatus `json:"status"`
}

// WatchStatus reports the watch's state: this process's, or that of
// another process watching this vault.
func (s *Service) WatchStatus() WatchStatus {
	s.watchMu.Lock()
	st := s.watchSt
	s.watchMu.Unlock()
	if st.Running {
		return st
	}
	raw, err := os.ReadFile(filepath.Join(s.cfg.Dir, watchStateFile))
	if err != nil {
		return st
	}
	var other watchState
	if json.Unmarshal(raw, &other) != nil || !alive(other.Pid) {
		return st // left by a process that is gone
	}
	other.Status.Pid = other.Pid
	return other.Status
}

func (s *Service) setWatchStatus(st WatchStatus) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	defer s.st.Touch() // the live views show it
	s.watchSt = st
	file := filepath.Join(s.cfg.Dir, watchStateFile)
	if !st.Running {
		os.Remove(file)
		return
	}
	if s.st.ReadOnly() {
		return
	}
	// Best effort: a full disk may refuse even this, and the state is
	// still served by this process.
	b, _ := json.Marshal(watchState{Pid: os.Getpid(), Status: st})
	tmp := file + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, file)
	}
}

// alive reports whether a process runs (signal 0 checks without sending).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && pid > 0 && p.Signal(syscall.Signal(0)) == nil
}

// classify turns settled paths into queue tasks: what exists is indexed (a
// folder is walked), what is gone is removed. A changed .hoardignore has its
// folder walked again under the new rules.
func (s *Service) classify(paths []string, folders []store.WatchedFolder) []store.Task {
	var index, remove []store.Task
	for _, p := range paths {
		coll := store.DefaultCollection
		for _, f := range folders {
			if under(p, f.Path) {
				coll = f.Collection
			}
		}
		if filepath.Base(p) == ignore.FileName {
			dir := filepath.Dir(p)
			s.rulesFor(dir).Forget(dir)
			index = append(index, store.Task{Path: dir, Op: store.OpIndex, Collection: coll})
			continue
		}
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir() && !fi.Mode().IsRegular():
			// A pipe, socket or device holds no document, as in a folder
			// walk: whatever the path held before goes.
			remove = append(remove, store.Task{Path: p, Op: store.OpRemove, Collection: coll})
		case err == nil:
			index = append(index, store.Task{Path: p, Op: store.OpIndex, Collection: coll})
		default:
			remove = append(remove, store.Task{Path: p, Op: store.OpRemove, Collection: coll})
		}
	}
	// New paths first: a rename links the new path before the old one goes,
	// so the document and its vectors are kept, not rebuilt.
	return append(index, remove...)
}

// unchanged reports whether a file still has the stamp stored for it. The
// change time catches an edit that kept the size and put the modification
// time back; where it is not known (stored before it was kept) the file is
// read and its hash decides, once.
func unchanged(fi fs.FileInfo, st store.SourceState) bool {
	return fi.Size() == st.Size && fi.ModTime().Unix() == st.MTime && st.CTime != 0 && changeTime(fi) == st.CTime
}

// reconcile compares a watched folder with what the vault holds for it and
// queues the differences. Both sides are streamed: memory does not grow
// with the folder.
func (s *Service) reconcile(ctx context.Context, f store.WatchedFolder) error {
	b := s.batcher(ctx)
	w := walker{skipDir: s.cfg.Dir, rules: s.rulesFor, emit: func(j job) error {
		if j.err == nil {
			if st, err := s.st.SourceState(ctx, j.path); err == nil {
				if fi, err := os.Stat(j.file); err == nil && unchanged(fi, st) {
					return nil // not even read
				}
			}
		}
		return b.add(store.Task{Path: j.path, Op: store.OpIndex, Collection: f.Collection})
	}}
	if err := w.walk([]string{f.Path}); err != nil {
		return err
	}
	// What the vault holds that is no longer on disk, or that a rule added
	// meanwhile ignores.
	if err := s.queueGone(ctx, b, f.Path, f.Collection, true); err != nil {
		return err
	}
	return b.flush()
}

// queueGone queues the removal of every source below dir that the ignore
// rules now pass over and, with missing, of those no longer on disk.
func (s *Service) queueGone(ctx context.Context, b *taskBatch, dir, collection string, missing bool) error {
	return s.st.EachSourceUnder(ctx, dir, func(p string, _ store.Stamp) error {
		file := p
		if i := strings.LastIndexByte(p, '#'); i > 0 {
			file = p[:i] // a corpus record
		}
		gone := s.skip(file, false)
		if !gone && missing {
			_, err := os.Lstat(file)
			gone = errors.Is(err, fs.ErrNotExist)
		}
		if gone {
			return b.add(store.Task{Path: p, Op: store.OpRemove, Collection: collection})
		}
		return nil
	})
}
