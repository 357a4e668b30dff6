package derive

import (
	"context"
	"errors"
	"fmt"

	"github.com/hoardvault/hoard/backend/store"
)

// Embedder makes passages' vectors (*infer.Embedder).
type Embedder interface {
	EmbedPassages(ctx context.Context, texts []string) ([][]float32, error)
}

// VectorStore is what the vector writer needs of the store.
type VectorStore interface {
	EnsureVectors(ctx context.Context, cfg store.VectorConfig) error
	VectorCounts(ctx context.Context) (done, pending int, err error)
	PendingChunks(ctx context.Context, after int64, limit int) ([]store.PendingChunk, error)
	PutVectors(ctx context.Context, cfg store.VectorConfig, ids []int64, vecs [][]float32) error
	// A switch of model: the new vectors are made beside the old ones.
	BeginVectorSwitch(ctx context.Context, cfg store.VectorConfig) error
	NextCounts(ctx context.Context) (done, pending int, err error)
	PendingNextChunks(ctx context.Context, after int64, limit int) ([]store.PendingChunk, error)
	PutNextVectors(ctx context.Context, ids []int64, vecs [][]float32) error
	FinishVectorSwitch(ctx context.Context) (store.VectorConfig, error)
	CancelVectorSwitch(ctx context.Context) error
}

// Vectors gives chunks the vectors of one embedder.
type Vectors struct {
	Store    VectorStore
	Embedder Embedder
	Config   store.VectorConfig // what Embedder writes
	// Progress hears done of total after each batch; nil is quiet.
	Progress func(done, total int)
}

// embedBatch is how many chunks are embedded and written together: one
// transaction each, so an interruption loses at most one batch of work.
const embedBatch = 64

// Pending gives every chunk without a vector one. It is resumable by
// construction: what has no vector is what is left to do.
func (v Vectors) Pending(ctx context.Context) (int, error) {
	if err := v.Store.EnsureVectors(ctx, v.Config); err != nil {
		return 0, err
	}
	_, total, err := v.Store.VectorCounts(ctx)
	if err != nil {
		return 0, err
	}
	return v.embedAll(ctx, v.Store.PendingChunks, func(ids []int64, vecs [][]float32) error {
		return v.Store.PutVectors(ctx, v.Config, ids, vecs)
	}, total)
}

// Reindex embeds every chunk that has no vector; when the vault's vectors
// come from another model, new ones are made beside them (which keep
// serving) and replace them once complete: switched says so.
func (v Vectors) Reindex(ctx context.Context) (n int, switched bool, err error) {
	if err := v.Store.EnsureVectors(ctx, v.Config); errors.Is(err, store.ErrVectorsDiffer) {
		n, err := v.switchVectors(ctx)
		return n, err == nil, err
	} else if err != nil {
		return 0, false, err
	}
	if err := v.Store.CancelVectorSwitch(ctx); err != nil { // a switch back to the vault's own model
		return 0, false, err
	}
	n, err = v.Pending(ctx)
	return n, false, err
}

// switchVectors moves the vault to Config's vectors without a gap in
// service: they are made beside the old ones, resumably, and replace them
// in one transaction once complete.
func (v Vectors) switchVectors(ctx context.Context) (int, error) {
	if err := v.Store.BeginVectorSwitch(ctx, v.Config); err != nil {
		return 0, err
	}
	_, total, err := v.Store.NextCounts(ctx)
	if err != nil {
		return 0, err
	}
	done, err := v.embedAll(ctx, v.Store.PendingNextChunks, func(ids []int64, vecs [][]float32) error {
		return v.Store.PutNextVectors(ctx, ids, vecs)
	}, total)
	if err != nil {
		return done, err
	}
	// Chunks added meanwhile are embedded too; what is left is new.
	if _, pending, err := v.Store.NextCounts(ctx); err != nil {
		return done, err
	} else if pending > 0 {
		n, err := v.switchVectors(ctx)
		return done + n, err
	}
	_, err = v.Store.FinishVectorSwitch(ctx)
	return done, err
}

// embedAll embeds the chunks pending pages through, embedBatch at a time,
// storing each batch with put: an interruption loses one batch at most.
func (v Vectors) embedAll(ctx context.Context, pending func(ctx context.Context, after int64, limit int) ([]store.PendingChunk, error),
	put func(ids []int64, vecs [][]float32) error, total int) (int, error) {
	done := 0
	var after int64
	for {
		batch, err := pending(ctx, after, embedBatch)
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			return done, nil
		}
		ids := make([]int64, len(batch))
		texts := make([]string, len(batch))
		for i, p := range batch {
			ids[i], texts[i] = p.ID, passageText(p)
		}
		vecs, err := v.Embedder.EmbedPassages(ctx, texts)
		if err != nil {
			return done, fmt.Errorf("embed: %w", err)
		}
		if err := put(ids, vecs); err != nil {
			return done, err
		}
		done += len(batch)
		after = ids[len(ids)-1]
		if v.Progress != nil {
			v.Progress(done, total)
		}
	}
}

// passageText is what a chunk's vector represents: its document title and
// heading give the passage its context.
func passageText(p store.PendingChunk) string {
	head := p.Title
	if p.Heading != "" && p.Heading != p.Title {
		head += " — " + p.Heading
	}
	if head == "" {
		return p.Text
	}
	return head + "\n" + p.Text
}
