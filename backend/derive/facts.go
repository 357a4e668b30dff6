package derive

import (
	"context"
	"fmt"
	"strings"

	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/store"
)

// FactStore is what reading facts needs of the store.
type FactStore interface {
	UnreadChunks(ctx context.Context, after int64, limit int) ([]store.FactChunk, error)
	PutFacts(ctx context.Context, chunkID int64, model string, facts []store.Fact, norm func(string) string) error
}

// FactProgress counts the chunks read and the facts found so far.
type FactProgress struct{ Chunks, Facts int }

// Facts has a language model read atomic (subject, relation, object) facts
// from every chunk not read yet; norm keys subjects and objects for the
// entity index. It resumes where it stopped; a reply that is not a list of
// facts marks the chunk read with none. progress, when given, hears each
// chunk read.
func Facts(ctx context.Context, st FactStore, c llm.Client, model string, norm func(string) string, progress func(FactProgress)) (FactProgress, error) {
	var p FactProgress
	var after int64
	for {
		batch, err := st.UnreadChunks(ctx, after, 50)
		if err != nil || len(batch) == 0 {
			return p, err
		}
		for _, ch := range batch {
			after = ch.ID
			resp, err := c.Chat(ctx, llm.Request{Model: model, Messages: []llm.Message{
				{Role: "system", Content: factsPrompt},
				{Role: "user", Content: "Document: " + ch.Title + "\n\n" + ch.Text},
			}}, nil)
			if err != nil {
				return p, fmt.Errorf("facts of chunk %d: %w", ch.ID, err)
			}
			found := parseFacts(resp.Text)
			if err := st.PutFacts(ctx, ch.ID, c.Name()+"/"+model, found, norm); err != nil {
				return p, err
			}
			p.Chunks++
			p.Facts += len(found)
			if progress != nil {
				progress(p)
			}
		}
	}
}

const factsPrompt = `Extract the atomic facts the passage states, one per line, as: subject | relation | object
Use full names for subjects and objects, not pronouns. Reply with the lines only; reply NONE if there are none.`

func parseFacts(reply string) []store.Fact {
	var out []store.Fact
	for _, l := range strings.Split(reply, "\n") {
		parts := strings.Split(strings.Trim(strings.TrimSpace(l), "-*• "), "|")
		if len(parts) != 3 {
			continue
		}
		f := store.Fact{Subject: strings.TrimSpace(parts[0]), Relation: strings.TrimSpace(parts[1]), Object: strings.TrimSpace(parts[2])}
		if f.Subject != "" && f.Relation != "" && f.Object != "" {
			out = append(out, f)
		}
	}
	return out
}
