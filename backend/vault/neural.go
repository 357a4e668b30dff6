package vault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hoardvault/hoard/backend/derive"
	"github.com/hoardvault/hoard/backend/neural"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/models"
)

// The models' options and status, as the vault's callers know them.
type (
	NeuralOptions = neural.Options
	NeuralStatus  = neural.Status
)

// loadNeural finds the configured models and puts them into search.
func (v *Vault) loadNeural(ctx context.Context) {
	v.nn = neural.Load(ctx, v.opt.Neural, v.models(), v.log)
	if v.nn.Runtime != nil {
		v.applyNeural(ctx)
	}
}

func (v *Vault) neuralStatus(ctx context.Context) (NeuralStatus, error) {
	return v.nn.Status(ctx, v.store, v.search().Options().Dense != nil)
}

// CheckModel proves that a model folder holds the model its spec names
// (see neural.CheckModel).
func CheckModel(spec models.Spec, dir string) error { return neural.CheckModel(spec, dir) }

// ModelManager returns the model manager for a folder ("" the default). It
// checks every model it installs (CheckModel).
func ModelManager(dir string) *models.Manager {
	if dir == "" {
		dir = models.DefaultDir()
	}
	m := models.NewManager(dir)
	m.Check = neural.CheckModel
	return m
}

// latinOnly reports whether the embedder that made the vectors reads Latin
// script only (its catalog entry says so; a model the catalog does not
// know is trusted with every script).
func latinOnly(m *models.Manager, name string) bool {
	spec, ok := m.Catalog.Find(name)
	return ok && spec.LatinOnly
}

// applyNeural puts the loaded models into the search pipeline: the dense
// list only when the vault's vectors were made by this embedder.
func (v *Vault) applyNeural(ctx context.Context) {
	opt := v.search().Options()
	opt.Dense = nil
	if v.nn.Embedder != nil {
		have, ok, err := v.store.Vectors(ctx)
		switch {
		case err != nil:
			v.log.Warn("vector settings", "err", err)
		case ok && (have.Model != v.nn.Vectors.Model || have.Dims != v.nn.Vectors.Dims):
			// The old model's vectors keep serving, with the old model
			// embedding the queries, until the new ones are complete.
			if v.nn.Serve(ctx, v.models(), have, v.log) {
				opt.Dense = &search.Dense{Embedder: v.nn.Serving, Vectors: have, Index: v.bin, LatinOnly: latinOnly(v.models(), have.Model)}
				v.nn.Note = fmt.Sprintf("the vault's vectors are %s's and serve until `hoard reindex --vectors` has made %s's", have.Model, v.nn.EmbedderName)
				v.log.Info(v.nn.Note)
			} else {
				v.nn.Note = fmt.Sprintf("the vault's vectors were made with %s (not installed); run `hoard reindex --vectors` to use %s", have.Model, v.nn.EmbedderName)
				v.log.Warn(v.nn.Note)
			}
		case ok:
			v.nn.Vectors = have
			opt.Dense = &search.Dense{Embedder: v.nn.Embedder, Vectors: have, Index: v.bin, LatinOnly: latinOnly(v.models(), have.Model)}
		}
	}
	if v.nn.Reranker != nil {
		opt.Reranker = v.nn.Reranker
	}
	next := search.NewWithOptions(v.reader(), opt)
	v.mu.Lock()
	v.searcher = next
	v.mu.Unlock()
}

// WarmVectors reads the vector index into memory ahead of the first
// search, when search uses it. A server or window calls it at start: a
// vault of a million passages takes seconds to read.
func (v *Vault) WarmVectors(ctx context.Context) {
	v.neuralReady(ctx)
	d := v.search().Options().Dense
	if d == nil || d.Index == nil || d.Vectors.KNNForm() != store.FormBit {
		return
	}
	start := time.Now()
	if err := d.Index.Load(ctx); err != nil {
		v.log.Warn("vector index", "err", err)
		return
	}
	v.log.Info("vector index loaded", "vectors", d.Index.Len(), "bytes", d.Index.Bytes(), "took", time.Since(start).Round(time.Millisecond))
}

// AdoptModels takes up an embedder installed after the vault loaded its
// models (a download from Settings) without a restart: when the vault had
// none, the new one is loaded and the vault's chunks get their vectors in
// the background, for as long as ctx lasts (the counts show in
// VectorCounts; search turns hybrid when they are done). It reports whether
// an embedder was taken up.
//
// With an embedder already in use whose vectors the vault does not have
// yet (a switch of model, perhaps interrupted), it makes them in the
// background instead, the old ones serving meanwhile.
func (v *Vault) AdoptModels(ctx context.Context) bool {
	v.neuralReady(ctx)
	release := v.ing.Hold() // nothing is stored or embedded while the models change
	if v.nn.Embedder != nil {
		have, ok, err := v.store.Vectors(ctx)
		if err != nil || !ok || have.Model == v.nn.Vectors.Model {
			release()
			return false
		}
		go v.reindexHeld(ctx, release)
		return true
	}
	if !v.embedderInstalled() {
		release()
		return false
	}
	if v.nn.Runtime != nil {
		v.retired = append(v.retired, v.nn.Runtime)
	}
	v.nn = neural.Models{}
	v.loadNeural(ctx)
	if v.nn.Embedder == nil {
		release()
		return false
	}
	v.log.Info("embedder taken up", "model", v.nn.EmbedderName)
	go v.reindexHeld(ctx, release)
	return true
}

// reindexHeld makes the vectors while ingestion is held, and releases it.
func (v *Vault) reindexHeld(ctx context.Context, release func()) {
	defer release()
	if _, err := v.Reindex(ctx, ReindexOptions{Vectors: true}); err != nil && ctx.Err() == nil {
		v.log.Warn("vectors incomplete (run `hoard reindex --vectors`)", "err", err)
	}
}

// VectorRecall measures the vector index against exact search over the
// float vectors (kept when the forms include float): for each query, the
// share of the exact top k the index returns, averaged.
func (v *Vault) VectorRecall(ctx context.Context, queries []string, k int) (float64, error) {
	v.neuralReady(ctx)
	d := v.search().Options().Dense
	if d == nil || !d.Vectors.Has(store.FormFloat) {
		return 0, errors.New("vector recall needs an embedder and vectors kept as float")
	}
	return neural.Recall(ctx, v.store, d.Embedder, d.Vectors.Dims, v.search().DenseList, queries, k)
}

// embedderInstalled reports whether the embedder the options name (or any,
// when they name none) is installed now.
func (v *Vault) embedderInstalled() bool {
	return neural.EmbedderInstalled(v.models(), v.opt.Neural.Embedder)
}

// embedding reports whether new chunks get vectors.
func (v *Vault) embedding(ctx context.Context) bool {
	v.neuralReady(ctx)
	if v.nn.Embedder == nil {
		return false
	}
	have, ok, err := v.store.Vectors(ctx)
	return err == nil && (!ok || have.Model == v.nn.Vectors.Model && have.Dims == v.nn.Vectors.Dims)
}

// vectors writes the loaded embedder's vectors; there is one.
func (v *Vault) vectors(progress func(EmbedProgress)) derive.Vectors {
	w := derive.Vectors{Store: v.store, Embedder: v.nn.Embedder, Config: v.nn.Vectors}
	if progress != nil {
		w.Progress = func(done, total int) { progress(EmbedProgress{Done: done, Total: total}) }
	}
	return w
}

// embedNew gives new chunks their vectors when the vault keeps the loaded
// embedder's (ingestion's Vectors hook, a note remembered).
func (v *Vault) embedNew(ctx context.Context, progress func(EmbedProgress)) (int, error) {
	if !v.embedding(ctx) {
		return 0, nil
	}
	n, err := v.vectors(progress).Pending(ctx)
	if err != nil {
		return n, err
	}
	v.bin.Refresh()
	v.applyNeural(ctx)
	return n, nil
}

// ReindexOptions tune Reindex.
type ReindexOptions struct {
	Vectors  bool // (re)build vectors with the current embedder
	Progress func(EmbedProgress)
}

// Reindex rebuilds derived data. With Vectors it embeds every chunk that
// has no vector; when the vault's vectors come from another model, new ones
// are made beside them (the old ones serving meanwhile) and replace them
// once complete. Interrupted, it resumes where it stopped.
func (v *Vault) Reindex(ctx context.Context, opt ReindexOptions) (int, error) {
	if !opt.Vectors {
		return 0, nil
	}
	v.neuralReady(ctx)
	if v.nn.Embedder == nil {
		if v.nn.Note != "" {
			return 0, errors.New(v.nn.Note)
		}
		return 0, errors.New("no embedder installed (hoard models pull bge-small-en-v1.5)")
	}
	n, switched, err := v.vectors(opt.Progress).Reindex(ctx)
	if err != nil {
		return n, err
	}
	if switched {
		v.bin.Invalidate()
		v.nn.Serving, v.nn.ServingName, v.nn.Note = nil, "", ""
		v.log.Info("the vault's vectors are the new model's", "model", v.nn.Vectors.Model)
	} else {
		v.bin.Refresh()
	}
	v.applyNeural(ctx)
	return n, nil
}
