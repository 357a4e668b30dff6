package ingest

import (
	"context"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// A batch of documents is committed at once when it holds this many, this
// much text, or has been open this long. Committing every document cost a
// third of ingest; a batch cut by a crash is absent as a whole and its
// queue rows still there, so the next run indexes it again. The bounds keep
// what a crash loses, and how long another writer waits, small; within
// them a batch is large, as each commit writes the full-text index a
// segment to merge (256 documents a batch cost SciFact's writer a sixth
// more than 1,024).
const (
	batchDocs  = 1024
	batchBytes = 8 << 20
	batchAge   = time.Second
)

// docWriter is where write stores a prepared job: a batch, or the store
// itself (a transaction per call).
type docWriter interface {
	Index(ctx context.Context, collection string, src store.Source, c store.Content) (int64, store.Outcome, error)
	RecordFailure(ctx context.Context, collection string, src store.Source, hash, mediaType, reason string) (int64, error)
	Restamp(ctx context.Context, src store.Source) error
}

// queueWriter closes queue rows: in a batch, with the documents they stand for.
type queueWriter interface {
	Finish(ctx context.Context, q store.QueueItem) error
	Retry(ctx context.Context, q store.QueueItem, attempts int, notBefore time.Time, reason string) error
	Park(ctx context.Context, q store.QueueItem, reason string) error
}

// docBatch groups the single writer's documents into transactions.
type docBatch struct {
	st      Store
	b       *store.Batch
	bytes   int
	started time.Time
	after   []func() // what waits for the commit: progress reports
}

// open returns the batch being filled, starting one if needed.
func (d *docBatch) open(ctx context.Context) (*store.Batch, error) {
	if d.b != nil {
		return d.b, nil
	}
	b, err := d.st.BeginBatch(ctx)
	if err != nil {
		return nil, err
	}
	d.b, d.bytes, d.started = b, 0, time.Now()
	return b, nil
}

// then runs fn once what was written so far is committed.
func (d *docBatch) then(fn func()) {
	if d.b == nil {
		fn()
		return
	}
	d.after = append(d.after, fn)
}

// wrote counts n bytes of text into the batch and commits it when full.
func (d *docBatch) wrote(n int) error {
	d.bytes += n
	if d.b != nil && (d.b.Len() >= batchDocs || d.bytes >= batchBytes || time.Since(d.started) >= batchAge) {
		return d.flush()
	}
	return nil
}

// flush commits the batch, then runs what waited for it.
func (d *docBatch) flush() error {
	if d.b != nil {
		b := d.b
		d.b = nil
		if err := b.Commit(); err != nil {
			b.Rollback()
			d.after = nil
			return err
		}
	}
	for _, fn := range d.after {
		fn()
	}
	d.after = d.after[:0]
	return nil
}

// abort drops a batch left open by an error.
func (d *docBatch) abort() {
	if d.b != nil {
		d.b.Rollback()
		d.b = nil
	}
	d.after = nil
}
