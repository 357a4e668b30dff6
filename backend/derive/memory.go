package derive

import (
	"context"
	"errors"
	"strings"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
)

// GlobalMemory is the vault-level memory: what the vault is about.
type GlobalMemory struct {
	Overview   string       `json:"overview"` // by the model, when it was built with one
	Documents  int          `json:"documents"`
	ByLLM      int          `json:"gists_by_llm"`
	Keyphrases []string     `json:"keyphrases"`      // the vault's most common topics
	Facts      int          `json:"facts"`           // read by a model
	Unread     int          `json:"passages_unread"` // passages no model has read facts from
	Gists      []store.Gist `json:"gists,omitempty"`
}

// MemoryStore is what the global memory reads of the store.
type MemoryStore interface {
	GistStore
	FactCounts(ctx context.Context) (facts, read, unread int, err error)
	Setting(ctx context.Context, key string) (string, error)
}

// Memory returns the global memory, once every document has its gist;
// withGists lists every document's gist.
func Memory(ctx context.Context, st MemoryStore, withGists bool) (GlobalMemory, error) {
	if _, err := Gists(ctx, st); err != nil {
		return GlobalMemory{}, err
	}
	gists, err := st.Gists(ctx, false, 0)
	if err != nil {
		return GlobalMemory{}, err
	}
	m := GlobalMemory{Documents: len(gists), Keyphrases: TopKeyphrases(gists, 20)}
	for _, g := range gists {
		if g.ByLLM {
			m.ByLLM++
		}
	}
	if m.Facts, _, m.Unread, err = st.FactCounts(ctx); err != nil {
		return m, err
	}
	if m.Overview, err = st.Setting(ctx, OverviewKey); err != nil {
		return m, err
	}
	if withGists {
		m.Gists = gists
	}
	return m, nil
}

// ReaderStore is what answering reads of the memory and the facts.
type ReaderStore interface {
	MatchGists(ctx context.Context, fts string, limit int) ([]store.Gist, error)
	Gist(ctx context.Context, docID int64) (store.Gist, error)
	FactsAbout(ctx context.Context, names []string, limit int) ([]store.Fact, error)
	ChunkRef(ctx context.Context, chunkID int64) (store.ChunkRef, error)
}

// Reader lets answering read the global memory (answer.Memory) and the
// facts (answer.Facts).
type Reader struct{ Store ReaderStore }

// Recall finds the gists that match a text best.
func (r Reader) Recall(ctx context.Context, text string, n int) ([]answer.Gist, error) {
	gs, err := r.Store.MatchGists(ctx, search.Parse(text).FTS(), n)
	if err != nil {
		return nil, err
	}
	out := make([]answer.Gist, len(gs))
	for i, g := range gs {
		out[i] = answer.Gist{DocID: g.DocumentID, Title: g.Title, Gist: g.Gist, Keyphrases: strings.Split(g.Keyphrases, ", ")}
	}
	return out, nil
}

// GistOf is a document's gist, "" when it has none.
func (r Reader) GistOf(ctx context.Context, docID int64) (string, error) {
	g, err := r.Store.Gist(ctx, docID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return g.Gist, err
}

// FactsFor finds facts about the names in a question.
func (r Reader) FactsFor(ctx context.Context, question string, n int) ([]answer.Fact, error) {
	var names []string
	for _, name := range answer.Names(question) {
		if k := entity.Norm(name); k != "" {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	fs, err := r.Store.FactsAbout(ctx, names, n)
	if err != nil {
		return nil, err
	}
	out := make([]answer.Fact, 0, len(fs))
	for _, f := range fs {
		c, err := r.Store.ChunkRef(ctx, f.ChunkID)
		if err != nil {
			return nil, err
		}
		out = append(out, answer.Fact{Subject: f.Subject, Relation: f.Relation, Object: f.Object,
			Source: search.Hit{ChunkID: c.ChunkID, DocID: c.DocID, Title: c.Title, Path: c.Path, Page: c.Page, Text: c.Text}})
	}
	return out, nil
}
