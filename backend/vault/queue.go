package vault

import (
	"context"
	"errors"
	"os"

	"github.com/hoardvault/hoard/backend/ingest"
	"github.com/hoardvault/hoard/backend/store"
)

// Ingestion's types, as the vault's callers know them.
type (
	Outcome       = ingest.Outcome
	Progress      = ingest.Progress
	Failure       = ingest.Failure
	Summary       = ingest.Summary
	AddOptions    = ingest.AddOptions
	EmbedProgress = ingest.EmbedProgress
	Queue         = ingest.Queue
	QueueEntry    = ingest.QueueEntry
	MediaProgress = ingest.MediaProgress
	WatchOptions  = ingest.WatchOptions
	WatchState    = ingest.WatchState
	WatchStatus   = ingest.WatchStatus
)

const (
	OutIndexed   = ingest.OutIndexed
	OutUnchanged = ingest.OutUnchanged
	OutLinked    = ingest.OutLinked
	OutFailed    = ingest.OutFailed
	OutRetry     = ingest.OutRetry
	OutWaiting   = ingest.OutWaiting
	OutRemoved   = ingest.OutRemoved

	StageExtracting   = ingest.StageExtracting
	StageTranscribing = ingest.StageTranscribing
	StageIndexing     = ingest.StageIndexing
)

// ErrNoTranscriber keeps an audio file in the queue until a transcription
// engine is configured.
var ErrNoTranscriber = ingest.ErrNoTranscriber

// Enqueue puts files and folders (walked now, recursively) in the indexing
// queue, which is worked in the background. Paths that do not exist are
// reported in Failed and not queued.
func (v *Vault) Enqueue(ctx context.Context, paths []string, collection string) (Summary, error) {
	return v.ing.Enqueue(ctx, paths, collection)
}

// Kick has the background indexing work what is queued (an import's
// documents, say).
func (v *Vault) Kick() { v.ing.Kick() }

// Add indexes files and folders (recursively) in the foreground: it queues
// them and works the queue. A file that fails is recorded with its reason
// and the run goes on; Add returns an error only when the run itself could
// not proceed. With no paths it finishes what is already queued.
func (v *Vault) Add(ctx context.Context, paths []string, opt AddOptions) (Summary, error) {
	return v.ing.Add(ctx, paths, opt)
}

// Drain works the queue in the foreground until nothing is due: rows in
// backoff and rows waiting for an engine stay for later.
func (v *Vault) Drain(ctx context.Context, opt AddOptions) (Summary, error) {
	return v.ing.Drain(ctx, opt)
}

// OnIndexed has fn hear about every file the background indexing did
// something with, until stop is called.
func (v *Vault) OnIndexed(fn func(Progress)) (stop func()) {
	return v.ing.Listen(ingest.Listener{Progress: fn})
}

// Queue reports the indexing queue with up to limit rows.
func (v *Vault) Queue(ctx context.Context, limit, offset int) (Queue, error) {
	return v.ing.Queue(ctx, limit, offset)
}

// CancelQueued takes a file out of the queue before it is indexed (a voice
// note waiting for an engine, a file not yet reached). A copy that an
// upload left in the vault's uploads folder goes too; a file elsewhere is
// the user's and stays.
func (v *Vault) CancelQueued(ctx context.Context, id int64) (store.QueueItem, error) {
	q, err := v.store.Cancel(ctx, id)
	if err != nil {
		return q, err
	}
	if q.Op == store.OpIndex && v.isUpload(q.Path) {
		if err := os.Remove(q.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			v.log.Warn("cancelled upload not removed", "path", q.Path, "err", err)
		}
	}
	return q, nil
}

// entityRefs is what a chunk gives the entity index (an import's chunks).
func entityRefs(title string, headings []string, text string) []store.EntityRef {
	return ingest.EntityRefs(title, headings, text)
}
