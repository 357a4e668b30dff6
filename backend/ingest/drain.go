package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// drainBatch is how many queue rows one pass claims: it bounds memory
// whatever the size of the queue.
const drainBatch = 256

// Retry defaults: 2 s doubling, 6 attempts (about two minutes in all).
const (
	defaultRetryBase   = 2 * time.Second
	defaultMaxAttempts = 6
	maxBackoff         = 10 * time.Minute
)

func (s *Service) maxAttempts() int {
	if s.cfg.MaxAttempts > 0 {
		return s.cfg.MaxAttempts
	}
	return defaultMaxAttempts
}

// backoff is the wait before attempt n+1 after n failed ones.
func (s *Service) backoff(n int) time.Duration {
	base := s.cfg.RetryBase
	if base <= 0 {
		base = defaultRetryBase
	}
	d := base << max(0, n-1)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	return d
}

// errTransient marks a failure worth another attempt later.
var errTransient = errors.New("temporary failure")

// transient reports whether a failure may pass by itself: a busy or
// unreadable-for-now file, an engine that is down or overloaded, a timeout.
func transient(err error) bool {
	// Not net.Error: every syscall.Errno satisfies it.
	var op *net.OpError
	var ue *url.Error
	switch {
	case errors.Is(err, errTransient), errors.As(err, &op), errors.As(err, &ue), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.Is(err, syscall.EBUSY), errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EIO),
		errors.Is(err, syscall.ETXTBSY), errors.Is(err, syscall.EINTR),
		// Out of file descriptors: others close theirs soon.
		errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return true
	}
	return false
}

// Enqueue puts files and folders (walked now, recursively) in the indexing
// queue and has the drain goroutine work it. Paths that do not exist are
// reported in Failed and not queued.
func (s *Service) Enqueue(ctx context.Context, paths []string, collection string) (Summary, error) {
	sum, _, err := s.enqueue(ctx, paths, collection, "")
	if err == nil {
		s.Kick()
	}
	return sum, err
}

// enqueue is Enqueue without the kick; a folder that could not be read for
// now is queued to be walked again, except self (the queue row being worked
// on), whose error is returned for a retry after a backoff.
func (s *Service) enqueue(ctx context.Context, paths []string, collection, self string) (sum Summary, selfErr, err error) {
	b := s.batcher(ctx)
	w := walker{skipDir: s.cfg.Dir, rules: s.rulesFor, emit: func(j job) error {
		switch {
		case errors.Is(j.err, errNoSuchFile):
			sum.Failed = append(sum.Failed, Failure{Path: j.path, Reason: j.err.Error()})
			return nil
		case j.err != nil && self != "" && j.path == self:
			selfErr = j.err
			return nil
		}
		sum.Queued++
		return b.add(store.Task{Path: j.path, Op: store.OpIndex, Collection: collection})
	}}
	err = w.walk(paths)
	sum.Skipped, sum.Warnings = w.skipped, w.warnings
	if err != nil {
		return sum, selfErr, err
	}
	return sum, selfErr, b.flush()
}

// taskBatch writes queue tasks a thousand at a time, so a walk of any size
// holds at most that many.
type taskBatch struct {
	ctx   context.Context
	st    Store
	tasks []store.Task
}

func (s *Service) batcher(ctx context.Context) *taskBatch { return &taskBatch{ctx: ctx, st: s.st} }

func (b *taskBatch) add(t store.Task) error {
	b.tasks = append(b.tasks, t)
	if len(b.tasks) >= 1000 {
		return b.flush()
	}
	return nil
}

func (b *taskBatch) flush() error {
	err := b.st.Enqueue(b.ctx, b.tasks)
	b.tasks = b.tasks[:0]
	return err
}

// Add indexes files and folders (recursively) in the foreground: it queues
// them and works the queue, holding it so the drain goroutine takes none of
// its files. A file that fails is recorded with its reason and the run goes
// on; Add returns an error only when the run itself could not proceed. With
// no paths it finishes what is already queued (after a crash, say).
func (s *Service) Add(ctx context.Context, paths []string, opt AddOptions) (Summary, error) {
	if err := s.lock(ctx); err != nil {
		return Summary{}, err
	}
	defer s.unlock()
	pre, _, err := s.enqueue(ctx, paths, opt.Collection, "")
	if err != nil {
		return pre, err
	}
	sum, err := s.pass(ctx, opt)
	sum.Skipped += pre.Skipped
	sum.Warnings = append(pre.Warnings, sum.Warnings...)
	sum.Failed = append(pre.Failed, sum.Failed...)
	return sum, err
}

// Drain works the queue in the foreground until nothing is due: rows in
// backoff and rows waiting for an engine stay for later. Work that an
// earlier run had claimed when it crashed is taken up again; what it had
// stored is not redone.
func (s *Service) Drain(ctx context.Context, opt AddOptions) (Summary, error) {
	if err := s.lock(ctx); err != nil {
		return Summary{}, err
	}
	defer s.unlock()
	return s.pass(ctx, opt)
}

// pass is one pass over the queue; the caller holds it.
func (s *Service) pass(ctx context.Context, opt AddOptions) (Summary, error) {
	var sum Summary
	if _, err := s.st.Requeue(ctx); err != nil {
		return sum, err
	}
	// Waiting rows go back when an engine can run now; the engine (a
	// whisper model of 140 MB) is loaded only when some row waits for it.
	if st, err := s.st.QueueStats(ctx); err != nil {
		return sum, err
	} else if st.Waiting > 0 && s.transcriber() != nil {
		if _, err := s.st.Release(ctx); err != nil {
			return sum, err
		}
	}
	// Claims an interrupted run leaves go back to pending.
	defer s.st.Requeue(context.WithoutCancel(ctx))
	done := 0
	changed := false
	for {
		items, err := s.st.Claim(ctx, time.Now(), drainBatch)
		if err != nil {
			return sum, err
		}
		if len(items) == 0 {
			break
		}
		changed = true
		if err := s.drainItems(ctx, items, &sum, &done, opt.Progress); err != nil {
			return sum, err
		}
	}
	if !changed {
		return sum, nil
	}
	if err := s.st.Reclaim(ctx); err != nil {
		sum.Warnings = append(sum.Warnings, err.Error()) // the pages stay for reuse
	}
	h := s.cfg.Hooks
	if h.Changed != nil {
		h.Changed()
	}
	if h.Gists != nil {
		if err := h.Gists(ctx); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("global memory incomplete: %v", err))
		}
	}
	if h.Vectors != nil {
		n, err := h.Vectors(ctx, opt.EmbedProgress)
		sum.Embedded = n
		if err != nil {
			// The text is stored and searchable; vectors can be finished later.
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("vectors incomplete (run `hoard reindex --vectors`): %v", err))
		}
	}
	return sum, nil
}

// itemRun follows one queue row through a batch: how many of its jobs are
// still out, and the worst thing that happened to them.
type itemRun struct {
	q       store.QueueItem
	left    int
	retry   string // a transient failure's reason
	wait    string
	missing bool // the file went away before it could be read
}

func (s *Service) drainItems(ctx context.Context, items []store.QueueItem, sum *Summary, done *int, progress func(Progress)) error {
	runs := make([]itemRun, len(items))
	var jobs []job
	var owner []int
	var removes []int
	for i, q := range items {
		runs[i].q = q
		if q.Op == store.OpRemove {
			removes = append(removes, i)
			continue
		}
		js, remove, err := s.jobsFor(ctx, q)
		if err != nil {
			return err
		}
		if remove {
			removes = append(removes, i)
			continue
		}
		for _, j := range js {
			j.collection, j.attempts = q.Collection, q.Attempts
			jobs = append(jobs, j)
			owner = append(owner, i)
		}
		runs[i].left = len(js)
		if len(js) == 0 {
			if err := s.st.Finish(ctx, q); err != nil {
				return err
			}
		}
	}
	pending, err := s.st.QueueStats(ctx)
	if err != nil {
		return err
	}
	total := *done + len(jobs) + len(removes) + pending.Pending
	report := func(path string, out Outcome, reason string) {
		*done++
		if progress != nil {
			progress(Progress{Done: *done, Total: max(total, *done), Path: path, Outcome: out, Reason: reason})
		}
	}
	batch := &docBatch{st: s.st}
	defer batch.abort()
	err = s.process(ctx, jobs, func(i int, p prepared) error {
		b, err := batch.open(ctx)
		if err != nil {
			return err
		}
		out, reason, err := s.write(ctx, b, p)
		s.act.clear(p.job.path)
		if err != nil {
			return fmt.Errorf("store %s: %w", p.job.path, err)
		}
		r := &runs[owner[i]]
		size := 0
		switch out {
		case OutIndexed:
			sum.Indexed++
			if p.content != nil {
				sum.Chunks += len(p.content.Chunks)
				size = len(p.content.Text)
			}
		case OutUnchanged:
			sum.Unchanged++
		case OutLinked:
			sum.Linked++
		case OutFailed:
			if errors.Is(p.err, errNoSuchFile) {
				r.missing = true
				break
			}
			sum.Failed = append(sum.Failed, Failure{Path: p.job.path, Reason: reason})
		case OutRetry:
			r.retry = reason
		case OutWaiting:
			r.wait = reason
		}
		// Reported once committed: what a report says is indexed is there.
		batch.then(func() { report(p.job.path, out, reason) })
		r.left--
		if r.left == 0 {
			if r.missing {
				// Removing what the vault held is a transaction of its own.
				if err := batch.flush(); err != nil {
					return err
				}
				return s.settle(ctx, s.st, r, sum)
			}
			if err := s.settle(ctx, b, r, sum); err != nil {
				return err
			}
		}
		return batch.wrote(size)
	})
	if err == nil {
		err = batch.flush()
	}
	if err != nil {
		return err
	}
	for _, i := range removes {
		q := items[i]
		n, err := s.removePath(ctx, q.Path)
		if err != nil {
			return err
		}
		sum.Removed += n
		if n > 0 {
			report(q.Path, OutRemoved, "")
		}
		if err := s.st.Finish(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// settle closes a queue row whose jobs are all written, through w: the
// batch that holds its documents, so the row goes when they are stored.
func (s *Service) settle(ctx context.Context, w queueWriter, r *itemRun, sum *Summary) error {
	switch {
	case r.retry != "":
		n := r.q.Attempts + 1
		sum.Retrying = append(sum.Retrying, Failure{Path: r.q.Path, Reason: r.retry})
		return w.Retry(ctx, r.q, n, time.Now().Add(s.backoff(n)), r.retry)
	case r.wait != "":
		sum.Waiting = append(sum.Waiting, Failure{Path: r.q.Path, Reason: r.wait})
		return w.Park(ctx, r.q, r.wait)
	case r.missing:
		// Deleted between queueing and reading: what the vault held goes too.
		n, err := s.removePath(ctx, r.q.Path)
		if err != nil {
			return err
		}
		sum.Removed += n
	}
	return w.Finish(ctx, r.q)
}

// jobsFor turns a queue row into jobs: a file is one job, a corpus one per
// record; a folder (one that appeared under a watched folder) has its files
// queued; a path that no longer exists is a removal.
func (s *Service) jobsFor(ctx context.Context, q store.QueueItem) (jobs []job, remove bool, err error) {
	// A path an import named is not opened: a queued document from an
	// export is indexed from the text the export carried.
	imp, imported, err := s.st.ImportedSource(ctx, q.Path)
	if err != nil {
		return nil, false, err
	}
	if imported {
		if imp.Status != store.StatusQueued {
			return nil, false, nil
		}
		rec := &corpusRecord{Title: imp.Title, Text: imp.Text, Metadata: imp.Metadata}
		return []job{{path: q.Path, record: rec}}, false, nil
	}
	if filepath.IsAbs(q.Path) {
		fi, serr := os.Stat(q.Path)
		switch {
		case errors.Is(serr, fs.ErrNotExist):
			return nil, true, nil
		case serr == nil && fi.IsDir():
			_, selfErr, err := s.enqueue(ctx, []string{q.Path}, q.Collection, q.Path)
			if selfErr != nil {
				return []job{{path: q.Path, file: q.Path, err: selfErr}}, false, err
			}
			if err == nil {
				// Its .hoardignore may have changed: what the rules pass
				// over now leaves the vault.
				b := s.batcher(ctx)
				if err = s.queueGone(ctx, b, q.Path, q.Collection, false); err == nil {
					err = b.flush()
				}
			}
			return nil, false, err
		case serr == nil:
			ok, perr := probeCorpus(q.Path)
			switch {
			case perr != nil && transient(perr):
				return []job{{path: q.Path, file: q.Path, err: fmt.Errorf("read: %w", perr)}}, false, nil
			case ok:
				return corpusJobs(q.Path), false, nil
			}
		}
	}
	return []job{{path: q.Path, file: q.Path}}, false, nil
}

// removePath forgets a file's source, or every source below a folder, and
// returns how many went.
func (s *Service) removePath(ctx context.Context, p string) (int, error) {
	err := s.st.RemoveSource(ctx, p)
	switch {
	case err == nil:
		return 1, nil
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	return s.st.RemoveUnder(ctx, p)
}
