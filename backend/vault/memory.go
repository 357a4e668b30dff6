package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/derive"
	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/ingest"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// MemoriesCollection holds what the user asked Hoard to remember; it weighs
// more than the library in retrieval, and newer memories more than older
// ones (temporal decay).
const MemoriesCollection = "memories"

const memoriesWeight = 1.2

// updateGists writes the extractive gist of every indexed document that
// lacks one: new documents, changed ones, imported ones.
func (v *Vault) updateGists(ctx context.Context) (int, error) { return derive.Gists(ctx, v.store) }

// The global memory and the progress of the jobs that write it are
// package derive's.
type (
	GlobalMemory   = derive.GlobalMemory
	MemoryProgress = derive.MemoryProgress
	FactProgress   = derive.FactProgress
)

// Memory returns the global memory; withGists lists every document's gist.
func (v *Vault) Memory(ctx context.Context, withGists bool) (GlobalMemory, error) {
	return derive.Memory(ctx, v.store, withGists)
}

// BuildMemory has a language model rewrite the gists (documents in order,
// those already written by a model skipped, so it resumes) and then write
// the vault's overview from them.
func (v *Vault) BuildMemory(ctx context.Context, c llm.Client, model string, progress func(MemoryProgress)) (int, error) {
	return derive.ModelGists(ctx, v.store, c, model, progress)
}

// ExtractFacts has a language model read atomic (subject, relation, object)
// facts from every chunk not read yet; subjects and objects join the entity
// index. It resumes where it stopped; a reply that is not a list of facts
// marks the chunk read with none.
func (v *Vault) ExtractFacts(ctx context.Context, c llm.Client, model string, progress func(FactProgress)) (FactProgress, error) {
	return derive.Facts(ctx, v.store, c, model, entity.Norm, progress)
}

// Memory notes ("remember this").

// Remember stores a note in the memories collection and returns its
// document id. The note is searchable at once.
func (v *Vault) Remember(ctx context.Context, title, text string) (int64, error) {
	path := fmt.Sprintf("memory:%d", time.Now().UnixNano())
	return v.putNote(ctx, path, title, text)
}

// UpdateMemory replaces a memory's text (and title, when given).
func (v *Vault) UpdateMemory(ctx context.Context, id int64, title, text string) error {
	d, err := v.store.GetDocument(ctx, id)
	if err != nil {
		return err
	}
	if d.Collection != MemoriesCollection || len(d.Paths) == 0 {
		return fmt.Errorf("document %d is not a memory", id)
	}
	if title == "" {
		title = d.Title
	}
	_, err = v.putNote(ctx, d.Paths[0], title, text)
	return err
}

// Memories lists the memories, newest first.
func (v *Vault) Memories(ctx context.Context, limit, offset int) ([]store.DocumentInfo, int, error) {
	return v.store.ListDocuments(ctx, store.ListOptions{Collection: MemoriesCollection, Limit: limit, Offset: offset})
}

// Forget deletes a memory.
func (v *Vault) Forget(ctx context.Context, id int64) error {
	d, err := v.store.GetDocument(ctx, id)
	if err != nil {
		return err
	}
	if d.Collection != MemoriesCollection {
		return fmt.Errorf("document %d is not a memory", id)
	}
	return v.Remove(ctx, fmt.Sprint(id))
}

func (v *Vault) putNote(ctx context.Context, path, title, body string) (int64, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return 0, errors.New("a memory needs some text")
	}
	if title == "" {
		title = text.Clip(strings.Join(strings.Fields(text.Sentences(body)[0]), " "), 60)
	}
	if err := v.ensureMemories(ctx); err != nil {
		return 0, err
	}
	doc, err := extract.FromText(title, body)
	if err != nil {
		return 0, err
	}
	sum := sha256.Sum256([]byte(path + "\x00" + title + "\x00" + body))
	src := store.Source{Path: path, Size: int64(len(body)), MTime: time.Now().Unix()}
	id, _, err := v.store.Index(ctx, MemoriesCollection, src, *ingest.Content(doc, hex.EncodeToString(sum[:]), src, "", v.opt.Chunk))
	if err != nil {
		return 0, err
	}
	v.bin.Refresh()
	if _, err := v.embedNew(ctx, nil); err != nil {
		v.log.Warn("memory stored without its vector", "err", err)
	}
	return id, nil
}

func (v *Vault) ensureMemories(ctx context.Context) error {
	cs, err := v.store.Collections(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Name == MemoriesCollection {
			return nil
		}
	}
	return v.store.SetCollectionWeight(ctx, MemoriesCollection, memoriesWeight)
}
