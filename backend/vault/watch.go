package vault

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
	"github.com/hoardvault/hoard/backend/watch"
)

// WatchOptions tune Watch.
type WatchOptions struct {
	// Settle, Poll and MaxWatches: see watch.Options.
	Settle     time.Duration
	Poll       time.Duration
	MaxWatches int
	// Progress hears about every file indexed, removed or failed.
	Progress func(Progress)
	// Ready is called once the folders are watched and reconciled; Drained
	// after every pass over the queue, with what it did.
	Ready   func(WatchState)
	Drained func(Summary, WatchState)
	// Warn hears about folders that could not be watched.
	Warn func(string)
	// Standby keeps Watch running with no folder (a server, where folders
	// are added later); without it, no folder is an error.
	Standby bool
}

// WatchState is what a running watch reports.
type WatchState struct {
	Folders int              `json:"folders"`
	Watched int              `json:"watched"` // folders followed through the OS
	Polled  int              `json:"polled"`  // folders scanned instead (the OS limit was reached)
	Queue   store.QueueStats `json:"queue"`
}

// AddWatched records dir as a watched folder; documents from it go to
// collection.
func (v *Vault) AddWatched(ctx context.Context, dir, collection string) (string, error) {
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
	if under(abs, v.dir) {
		return "", fmt.Errorf("watch %s: that is the vault's own folder", dir)
	}
	if collection == "" {
		collection = store.DefaultCollection
	}
	if err := v.store.AddWatched(ctx, abs, collection); err != nil {
		return "", err
	}
	v.kickWatch()
	return abs, nil
}

// kickWatch tells a running Watch that the watched folders changed.
func (v *Vault) kickWatch() {
	select {
	case v.watchKick <- struct{}{}:
	default:
	}
}

// RemoveWatched stops watching dir; what was indexed from it stays.
func (v *Vault) RemoveWatched(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := v.store.RemoveWatched(ctx, abs); err != nil {
		return err
	}
	v.kickWatch()
	return nil
}

// Watched lists the watched folders.
func (v *Vault) Watched(ctx context.Context) ([]store.WatchedFolder, error) {
	return v.store.Watched(ctx)
}

// under reports whether p is dir or lies below it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// rulesFor returns the ignore rules that apply to dir: those of the watched
// folder holding it, so a .hoardignore above dir still counts.
func (v *Vault) rulesFor(dir string) *ignore.Rules {
	v.rulesMu.Lock()
	defer v.rulesMu.Unlock()
	var best *ignore.Rules
	for root, r := range v.rules {
		if under(dir, root) && (best == nil || len(root) > len(best.Root())) {
			best = r
		}
	}
	if best == nil {
		return ignore.New(dir)
	}
	return best
}

// skip is the watcher's ignore test: the vault's own folder and the ignore
// rules of the watched folder.
func (v *Vault) skip(p string, isDir bool) bool {
	if under(p, v.dir) {
		return true
	}
	return v.rulesFor(p).Ignored(p, isDir)
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
func (v *Vault) WatchStatus() WatchStatus {
	v.watchMu.Lock()
	st := v.watchSt
	v.watchMu.Unlock()
	if st.Running {
		return st
	}
	raw, err := os.ReadFile(filepath.Join(v.dir, watchStateFile))
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

func (v *Vault) setWatchStatus(st WatchStatus) {
	v.watchMu.Lock()
	defer v.watchMu.Unlock()
	defer v.store.Touch() // the live views show it
	v.watchSt = st
	file := filepath.Join(v.dir, watchStateFile)
	if !st.Running {
		os.Remove(file)
		return
	}
	if v.store.ReadOnly() {
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

// Watch backoff: 1 s doubling up to a minute.
const (
	watchRetryBase = time.Second
	watchRetryMax  = time.Minute
)

// Watch keeps the watched folders and the vault in step until ctx ends:
// first it reconciles what changed while Hoard was closed (size and
// modification and change times first; the content hash decides), then it
// follows changes as they settle. Work goes through the queue, so an
// interrupted watch resumes where it stopped. A failure (the database locked
// or the disk full) does not end it: it starts over after a backoff, and the
// reconciling walk finds whatever changed meanwhile. It returns only when
// ctx ends, or at once when nothing is watched and opt.Standby is unset.
func (v *Vault) Watch(ctx context.Context, opt WatchOptions) error {
	if folders, err := v.store.Watched(ctx); err == nil && len(folders) == 0 && !opt.Standby {
		return errors.New("no folders are watched: add one with `hoard watch DIR`")
	}
	defer v.setWatchStatus(WatchStatus{})
	ready := opt.Ready
	opt.Ready = func(st WatchState) {
		if ready != nil {
			ready(st)
			ready = nil // once, not after every start over
		}
	}
	drained := opt.Drained
	opt.Drained = func(sum Summary, st WatchState) {
		v.setWatchStatus(WatchStatus{Running: true}) // a clean pass
		if drained != nil {
			drained(sum, st)
		}
	}
	v.setWatchStatus(WatchStatus{Running: true})
	for fails := 1; ; fails++ {
		err := v.watchOnce(ctx, opt)
		if ctx.Err() != nil {
			return nil
		}
		if v.WatchStatus().Failures == 0 {
			fails = 1 // it ran cleanly since the last failure
		}
		wait := min(watchRetryBase<<min(fails-1, 16), watchRetryMax)
		msg := fmt.Sprintf("retrying in %s: %v", wait, err)
		v.log.Warn("watch: "+msg, "failures", fails)
		if opt.Warn != nil {
			opt.Warn(msg)
		}
		v.setWatchStatus(WatchStatus{Running: true, Retrying: true, Message: msg, RetryAt: time.Now().Add(wait), Failures: fails})
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// watchOnce is one run of Watch, until ctx ends (nil) or something fails.
func (v *Vault) watchOnce(ctx context.Context, opt WatchOptions) error {
	// A kick from before this start is stale: the list is read now.
	select {
	case <-v.watchKick:
	default:
	}
	folders, err := v.store.Watched(ctx)
	if err != nil {
		return err
	}
	w, err := watch.New(watch.Options{Settle: opt.Settle, Poll: opt.Poll, MaxWatches: opt.MaxWatches, Skip: v.skip, Logger: v.log})
	if err != nil {
		return err
	}
	defer w.Close()
	warn := func(msg string) {
		if opt.Warn != nil {
			opt.Warn(msg)
		}
	}
	flushWarnings := func() {
		for _, msg := range w.Warnings() {
			warn(msg)
		}
	}
	runErr := make(chan error, 1)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { runErr <- w.Run(wctx) }()
	var live []store.WatchedFolder
	// follow brings the watcher and the ignore rules in line with the
	// stored folders and queues what changed in the new ones.
	follow := func(folders []store.WatchedFolder) error {
		want := map[string]bool{}
		for _, f := range folders {
			want[f.Path] = true
		}
		had := map[string]bool{}
		var kept []store.WatchedFolder
		for _, f := range live {
			had[f.Path] = true
			if want[f.Path] {
				kept = append(kept, f)
			} else {
				w.Remove(f.Path)
			}
		}
		live = kept
		v.rulesMu.Lock()
		v.rules = map[string]*ignore.Rules{}
		for _, f := range folders {
			v.rules[f.Path] = ignore.New(f.Path)
		}
		v.rulesMu.Unlock()
		for _, f := range folders {
			if had[f.Path] {
				continue
			}
			// The watch goes in before the reconciling walk, so nothing
			// changed in between is missed (a change seen twice is harmless).
			if err := w.Add(f.Path); err != nil {
				warn(fmt.Sprintf("%v (still listed; it is looked at again on the next start)", err))
				continue
			}
			live = append(live, f)
			if err := v.reconcile(ctx, f); err != nil {
				return err
			}
		}
		flushWarnings()
		return nil
	}
	state := func() WatchState {
		q, _ := v.store.QueueStats(ctx)
		watched, polled := w.Stats()
		return WatchState{Folders: len(live), Watched: watched, Polled: polled, Queue: q}
	}
	drain := func() error {
		sum, err := v.Drain(ctx, AddOptions{Progress: opt.Progress})
		if err != nil {
			return err
		}
		if opt.Drained != nil {
			opt.Drained(sum, state())
		}
		return nil
	}
	if err := follow(folders); err != nil {
		return err
	}
	if err := drain(); err != nil {
		return err
	}
	if opt.Ready != nil {
		opt.Ready(state())
	}
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		// Wake up for the next retry that falls due.
		retry.Reset(time.Hour)
		if t, ok, err := v.store.NextDue(ctx); err == nil && ok {
			retry.Reset(max(time.Until(t), 10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("the folder watcher stopped")
			}
			return err
		case batch := <-w.Changes():
			if err := v.store.Enqueue(ctx, v.classify(batch, live)); err != nil {
				return err
			}
			flushWarnings()
		case <-v.watchKick:
			folders, err := v.store.Watched(ctx)
			if err == nil {
				err = follow(folders)
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		case <-retry.C:
		}
		if err := drain(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// classify turns settled paths into queue tasks: what exists is indexed (a
// folder is walked), what is gone is removed. A changed .hoardignore has its
// folder walked again under the new rules.
func (v *Vault) classify(paths []string, folders []store.WatchedFolder) []store.Task {
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
			v.rulesFor(dir).Forget(dir)
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
func (v *Vault) reconcile(ctx context.Context, f store.WatchedFolder) error {
	b := v.batcher(ctx)
	w := walker{skipDir: v.dir, rules: v.rulesFor, emit: func(j job) error {
		if j.err == nil {
			if st, err := v.store.SourceState(ctx, j.path); err == nil {
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
	if err := v.queueGone(ctx, b, f.Path, f.Collection, true); err != nil {
		return err
	}
	return b.flush()
}

// queueGone queues the removal of every source below dir that the ignore
// rules now pass over and, with missing, of those no longer on disk.
func (v *Vault) queueGone(ctx context.Context, b *taskBatch, dir, collection string, missing bool) error {
	return v.store.EachSourceUnder(ctx, dir, func(p string, _ store.Stamp) error {
		file := p
		if i := strings.LastIndexByte(p, '#'); i > 0 {
			file = p[:i] // a corpus record
		}
		gone := v.skip(file, false)
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
