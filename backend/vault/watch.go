package vault

import (
	"context"
	"sync"

	"github.com/hoardvault/hoard/backend/store"
)

// AddWatched records dir as a watched folder; documents from it go to
// collection.
func (v *Vault) AddWatched(ctx context.Context, dir, collection string) (string, error) {
	return v.ing.AddWatched(ctx, dir, collection)
}

// RemoveWatched stops watching dir; what was indexed from it stays.
func (v *Vault) RemoveWatched(ctx context.Context, dir string) error {
	return v.ing.RemoveWatched(ctx, dir)
}

// Watched lists the watched folders.
func (v *Vault) Watched(ctx context.Context) ([]store.WatchedFolder, error) {
	return v.store.Watched(ctx)
}

// kickWatch tells a running Watch that the watched folders changed.
func (v *Vault) kickWatch() { v.ing.KickWatch() }

// WatchStatus reports the watch's state: this process's, or that of
// another process watching this vault.
func (v *Vault) WatchStatus() WatchStatus { return v.ing.WatchStatus() }

// Watch keeps the watched folders and the vault in step until ctx ends (see
// ingest.Service.Watch); it returns at once when nothing is watched and
// opt.Standby is unset.
func (v *Vault) Watch(ctx context.Context, opt WatchOptions) error { return v.ing.Watch(ctx, opt) }

// Start runs what a long-lived process (a server, the desktop window) does
// in the background: it reads the vector index and builds the full-text
// postings ahead of the first search,
// takes up an embedder installed meanwhile (or finishes a switch of one),
// and follows the watched folders with opt, in standby (a read-only vault
// takes nothing in). stop ends that work and returns once it has; the
// queue's own goroutine stops with Close.
func (v *Vault) Start(ctx context.Context, opt WatchOptions) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { v.WarmVectors(ctx) })
	wg.Go(func() {
		if err := v.WarmLexical(ctx); err != nil && ctx.Err() == nil {
			v.log.Warn("full-text postings", "err", err)
		}
	})
	wg.Go(func() { v.AdoptModels(ctx) })
	if !v.ReadOnly() {
		opt.Standby = true
		wg.Go(func() {
			if err := v.Watch(ctx, opt); err != nil {
				v.log.Error("watch", "err", err)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
