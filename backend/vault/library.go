package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/store"
)

// CreateCollection adds an empty collection with a search weight (0: 1).
func (v *Vault) CreateCollection(ctx context.Context, name string, weight float64) (store.Collection, error) {
	return v.store.CreateCollection(ctx, name, weight)
}

// UpdateCollection renames a collection and sets its weight (0 keeps it).
func (v *Vault) UpdateCollection(ctx context.Context, name, newName string, weight float64) (store.Collection, error) {
	return v.store.UpdateCollection(ctx, name, newName, weight)
}

// DeleteCollection removes an empty collection.
func (v *Vault) DeleteCollection(ctx context.Context, name string) error {
	return v.store.DeleteCollection(ctx, name)
}

// MoveDocument puts a document in another collection, vectors included.
func (v *Vault) MoveDocument(ctx context.Context, id int64, collection string) error {
	if err := v.store.MoveDocument(ctx, id, collection); err != nil {
		return err
	}
	v.bin.Invalidate() // the in-memory sign bits carry the collection
	return nil
}

// ErrNoSource means none of a document's files is on disk any more.
var ErrNoSource = errors.New("none of the document's files is on disk")

// SourceFile is the first of a document's files that still exists. A path
// an import named is never one: it says where the document came from, and
// may point anywhere (a crafted export could name a secret).
func (v *Vault) SourceFile(ctx context.Context, id int64) (string, store.DocumentInfo, error) {
	d, err := v.store.GetDocument(ctx, id)
	if err != nil {
		return "", d, err
	}
	paths, err := v.store.TrustedPaths(ctx, id)
	if err != nil {
		return "", d, err
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, d, nil
		}
	}
	return "", d, fmt.Errorf("document %d (%s): %w", id, d.Title, ErrNoSource)
}

// ReindexDocument reads a document's file again from scratch (extraction,
// chunks, vectors): the document is replaced by a new one from the queue.
func (v *Vault) ReindexDocument(ctx context.Context, id int64) error {
	p, d, err := v.SourceFile(ctx, id)
	if err != nil {
		return err
	}
	// Queued first, so a crash in between leaves the file to be indexed.
	if err := v.store.Enqueue(ctx, []store.Task{{Path: p, Op: store.OpIndex, Collection: d.Collection}}); err != nil {
		return err
	}
	if err := v.store.DeleteDocument(ctx, id); err != nil {
		return err
	}
	v.bin.Refresh()
	return nil
}

// RenderPage draws one page (1-based) of a PDF document as a PNG about
// width pixels wide, for the in-app page view.
func (v *Vault) RenderPage(ctx context.Context, id int64, page, width int) ([]byte, error) {
	p, _, err := v.pdfFile(ctx, id)
	if err != nil {
		return nil, err
	}
	return extract.RenderPage(ctx, p, page, width)
}

// pdfFile is a document's file when the document is a PDF, the one kind
// with pages to draw and place.
func (v *Vault) pdfFile(ctx context.Context, id int64) (string, DocumentInfo, error) {
	p, d, err := v.SourceFile(ctx, id)
	if err != nil {
		return "", d, err
	}
	if d.MediaType != "application/pdf" {
		return "", d, fmt.Errorf("%s: %w", filepath.Base(p), extract.ErrNotPaged)
	}
	return p, d, nil
}

// Subscribe signals the caller after the vault changed: any commit, by this
// process or another, and the stage of the file being read. Signals
// coalesce; cancel ends the subscription.
func (v *Vault) Subscribe() (<-chan struct{}, func()) { return v.store.Subscribe() }

// Stats counts documents and chunks and measures the database on disk.
func (v *Vault) Stats(ctx context.Context) (store.Stats, error) { return v.store.Stats(ctx) }

// VectorCounts says how many chunks have vectors and how many wait for
// one; both are 0 when no embedder is in use.
func (v *Vault) VectorCounts(ctx context.Context) (done, pending int, err error) {
	if !v.embedding(ctx) {
		return 0, 0, nil
	}
	return v.store.VectorCounts(ctx)
}
