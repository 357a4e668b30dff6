// Package watch follows folders recursively with fsnotify and reports the
// paths that changed once they have settled: a burst of events on one file
// (an editor saving, a download being written) becomes one report. Folders
// the OS will not watch (its watch limit is reached) are scanned
// periodically instead.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tune a Watcher.
type Options struct {
	// Settle is how long a path must be quiet before it is reported
	// (default 300 ms); MaxDelay reports a path that never goes quiet
	// anyway (default 10 s).
	Settle   time.Duration
	MaxDelay time.Duration
	// Poll is how often folders that could not be watched are scanned
	// (default 30 s).
	Poll time.Duration
	// MaxWatches caps the folders watched through the OS; 0 means the OS
	// limit alone. Past the cap folders are scanned, as when the OS limit
	// is reached.
	MaxWatches int
	// Skip passes over paths (ignore rules); nil skips nothing.
	Skip   func(path string, isDir bool) bool
	Logger *slog.Logger
}

// Watcher reports settled changes below its roots.
type Watcher struct {
	opt     Options
	fs      *fsnotify.Watcher
	changes chan []string
	log     *slog.Logger

	mu       sync.Mutex
	watched  map[string]bool             // folders watched through the OS
	polled   map[string]map[string]stamp // folders scanned instead, with what they held
	real     map[string]string           // folder → resolved path
	byReal   map[string]string           // resolved path → folder, to cut symlink loops
	pending  map[string]*dirty
	warned   bool
	warnings []string
}

type stamp struct {
	size  int64
	mtime time.Time
	dir   bool
}

type dirty struct{ first, last time.Time }

// New starts an fsnotify watcher; Run must be called to report changes.
func New(opt Options) (*Watcher, error) {
	if opt.Settle <= 0 {
		opt.Settle = 300 * time.Millisecond
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 10 * time.Second
	}
	if opt.Poll <= 0 {
		opt.Poll = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Skip == nil {
		opt.Skip = func(string, bool) bool { return false }
	}
	fw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	return &Watcher{
		opt: opt, fs: fw, changes: make(chan []string), log: opt.Logger,
		watched: map[string]bool{}, polled: map[string]map[string]stamp{},
		real: map[string]string{}, byReal: map[string]string{}, pending: map[string]*dirty{},
	}, nil
}

// Changes delivers batches of settled paths: files or folders that were
// created, written, renamed, moved or deleted. The receiver decides what a
// path is now by looking at it.
func (w *Watcher) Changes() <-chan []string { return w.changes }

// Close stops watching.
func (w *Watcher) Close() error { return w.fs.Close() }

// Stats says how many folders are watched through the OS and how many are
// scanned instead.
func (w *Watcher) Stats() (watched, polled int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.watched), len(w.polled)
}

// Warnings returns what went wrong while adding folders (symlink loops,
// unreadable folders, the watch limit), once each.
func (w *Watcher) Warnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.warnings
	w.warnings = nil
	return out
}

// Add watches root and every folder below it.
func (w *Watcher) Add(root string) error {
	root = filepath.Clean(root)
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("watch %s: %w", root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("watch %s: not a folder", root)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addTree(root)
	return nil
}

// Remove stops watching root and the folders below it.
func (w *Watcher) Remove(root string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropTree(filepath.Clean(root))
}

// addTree watches dir and its subfolders; w.mu is held.
func (w *Watcher) addTree(dir string) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.warn(fmt.Sprintf("%s: %v", dir, err))
		return
	}
	if d, ok := w.byReal[real]; ok {
		if d != dir {
			w.warn(fmt.Sprintf("%s: symlink loop or second path to %s (already watched as %s), skipped", dir, real, d))
		}
		return
	}
	w.real[dir] = real
	w.byReal[real] = dir
	w.watchOne(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.warn(fmt.Sprintf("%s: %v", dir, err))
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if isDir(e, p) && !w.opt.Skip(p, true) {
			w.addTree(p)
		}
	}
}

// watchOne watches one folder through the OS, or scans it when the limit is
// reached.
func (w *Watcher) watchOne(dir string) {
	var err error
	if w.opt.MaxWatches > 0 && len(w.watched) >= w.opt.MaxWatches {
		err = syscall.ENOSPC
	} else {
		err = w.fs.Add(dir)
	}
	switch {
	case err == nil:
		w.watched[dir] = true
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EMFILE):
		if !w.warned {
			w.warned = true
			w.warn(fmt.Sprintf("the system's limit on watched folders is reached (%d watched): the rest are scanned every %s instead; "+
				"raise it with `sudo sysctl fs.inotify.max_user_watches=524288`", len(w.watched), w.opt.Poll))
		}
		w.polled[dir] = w.snapshot(dir)
	default:
		w.warn(fmt.Sprintf("%s: %v", dir, err))
	}
}

func (w *Watcher) warn(msg string) {
	w.log.Warn("watch: " + msg)
	w.warnings = append(w.warnings, msg)
}

// dropTree forgets dir and everything below it; w.mu is held.
func (w *Watcher) dropTree(dir string) {
	prefix := dir + string(filepath.Separator)
	for d := range w.real {
		if d == dir || strings.HasPrefix(d, prefix) {
			if w.byReal[w.real[d]] == d {
				delete(w.byReal, w.real[d])
			}
			delete(w.real, d)
			if w.watched[d] {
				delete(w.watched, d)
				w.fs.Remove(d) // already gone with the folder, often
			}
			delete(w.polled, d)
		}
	}
}

func isDir(e fs.DirEntry, p string) bool {
	if e.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(p)
		return err == nil && fi.IsDir()
	}
	return e.IsDir()
}

// snapshot lists what a scanned folder holds.
func (w *Watcher) snapshot(dir string) map[string]stamp {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return map[string]stamp{}
	}
	out := make(map[string]stamp, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out[e.Name()] = stamp{size: fi.Size(), mtime: fi.ModTime(), dir: fi.IsDir()}
	}
	return out
}

// Run reports changes until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	tick := time.NewTicker(max(w.opt.Settle/4, 10*time.Millisecond))
	defer tick.Stop()
	poll := time.NewTicker(w.opt.Poll)
	defer poll.Stop()
	var ready []string
	for {
		var out chan []string
		if len(ready) > 0 {
			out = w.changes
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.fs.Events:
			if !ok {
				return nil
			}
			w.event(ev)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: every watched folder is looked at again.
				w.log.Warn("watch: the event queue overflowed; rescanning")
				w.mu.Lock()
				for d := range w.real {
					w.touch(d, time.Now())
				}
				w.mu.Unlock()
				continue
			}
			w.log.Warn("watch", "err", err)
		case t := <-tick.C:
			ready = append(ready, w.settled(t)...)
		case <-poll.C:
			w.scan()
		case out <- ready:
			ready = nil
		}
	}
}

func (w *Watcher) event(ev fsnotify.Event) {
	if ev.Op == fsnotify.Chmod {
		return
	}
	p := filepath.Clean(ev.Name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if ev.Op.Has(fsnotify.Remove) || ev.Op.Has(fsnotify.Rename) {
		// A folder moved away or deleted takes its watches with it; a
		// folder moved in arrives as a Create and is walked then.
		w.dropTree(p)
	}
	if ev.Op.Has(fsnotify.Create) {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() && !w.opt.Skip(p, true) {
			w.addTree(p)
		}
	}
	w.touch(p, time.Now())
}

// touch marks p dirty; w.mu is held.
func (w *Watcher) touch(p string, t time.Time) {
	if d, ok := w.pending[p]; ok {
		d.last = t
		return
	}
	w.pending[p] = &dirty{first: t, last: t}
}

// settled takes the paths that have been quiet for Settle (or dirty for
// MaxDelay) out of the pending set.
func (w *Watcher) settled(t time.Time) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for p, d := range w.pending {
		if t.Sub(d.last) >= w.opt.Settle || t.Sub(d.first) >= w.opt.MaxDelay {
			delete(w.pending, p)
			fi, err := os.Lstat(p)
			if !w.opt.Skip(p, err == nil && fi.IsDir()) || isIgnoreFile(p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

func isIgnoreFile(p string) bool { return filepath.Base(p) == ".hoardignore" }

// scan compares the scanned folders with what they held last time.
func (w *Watcher) scan() {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for dir, before := range w.polled {
		after := w.snapshot(dir)
		for name, st := range after {
			p := filepath.Join(dir, name)
			old, ok := before[name]
			if ok && old == st {
				continue
			}
			if st.dir && !ok && !w.opt.Skip(p, true) {
				w.addTree(p)
			}
			w.touch(p, now)
		}
		for name := range before {
			if _, ok := after[name]; !ok {
				p := filepath.Join(dir, name)
				w.dropTree(p)
				w.touch(p, now)
			}
		}
		if _, still := w.polled[dir]; still {
			w.polled[dir] = after
		}
	}
}
