// Package derive writes what the vault derives from the text it stores,
// after ingestion: the documents' gists and keyphrases (extractive, or a
// language model's), the vault's overview, facts read from passages, and
// the chunks' vectors. Each job resumes where it stopped: what is left to
// do is what has no gist, fact or vector yet.
package derive

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/memory"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// gist sizes: two sentences, about two lines.
const (
	gistSentences = 2
	gistChars     = 320
	keyphrases    = 8
)

// OverviewKey is the setting that holds the vault's overview.
const OverviewKey = "memory.overview"

// GistStore is what the gist writers need of the store.
type GistStore interface {
	DocumentsWithoutGist(ctx context.Context, limit int) ([]int64, error)
	DocumentText(ctx context.Context, id int64) (title, text string, err error)
	PutGist(ctx context.Context, g store.Gist) error
	Gists(ctx context.Context, onlyExtractive bool, limit int) ([]store.Gist, error)
	SetSetting(ctx context.Context, key, value string) error
}

// GistOf writes a document's extractive gist and keyphrases.
func GistOf(title, text string) (gist, keys string) {
	return GistFound(title, text, nil)
}

// GistFound is GistOf given found, entity.Find(title, nil, text), when the
// caller has it (nil: found here).
func GistFound(title, text string, found []entity.Ref) (gist, keys string) {
	gist = memory.Gist(title, text, gistSentences, gistChars)
	if gist == "" {
		gist = title
	}
	return gist, strings.Join(memory.KeyphrasesFound(title, text, keyphrases, found), ", ")
}

// Gists writes the extractive gist of every indexed document that lacks
// one (new documents, changed ones, imported ones) and says how many.
func Gists(ctx context.Context, st GistStore) (int, error) {
	n := 0
	for {
		ids, err := st.DocumentsWithoutGist(ctx, 200)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			title, body, err := st.DocumentText(ctx, id)
			if err != nil {
				return n, err
			}
			g := store.Gist{DocumentID: id}
			g.Gist, g.Keyphrases = GistOf(title, body)
			if err := st.PutGist(ctx, g); err != nil {
				return n, err
			}
			n++
		}
	}
}

// TopKeyphrases is the n keyphrases found in the most documents.
func TopKeyphrases(gists []store.Gist, n int) []string {
	df := map[string]int{}
	for _, g := range gists {
		for _, k := range strings.Split(g.Keyphrases, ",") {
			if k = strings.TrimSpace(k); k != "" {
				df[k]++
			}
		}
	}
	keys := make([]string, 0, len(df))
	for k := range df {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if df[keys[i]] != df[keys[j]] {
			return df[keys[i]] > df[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys[:min(n, len(keys))]
}

// MemoryProgress counts the gists a model has rewritten, Done of Total.
type MemoryProgress struct{ Done, Total int }

// ModelGists has a language model rewrite the gists (documents in order,
// those already written by a model skipped, so it resumes) and then write
// the vault's overview from them. progress, when given, hears each gist.
func ModelGists(ctx context.Context, st GistStore, c llm.Client, model string, progress func(MemoryProgress)) (int, error) {
	if _, err := Gists(ctx, st); err != nil {
		return 0, err
	}
	todo, err := st.Gists(ctx, true, 0)
	if err != nil {
		return 0, err
	}
	for i, g := range todo {
		title, body, err := st.DocumentText(ctx, g.DocumentID)
		if err != nil {
			return i, err
		}
		resp, err := c.Chat(ctx, llm.Request{Model: model, Messages: []llm.Message{
			{Role: "system", Content: gistPrompt},
			{Role: "user", Content: "Title: " + title + "\n\n" + text.Clip(body, 6000)},
		}}, nil)
		if err != nil {
			return i, fmt.Errorf("gist of %q: %w", title, err)
		}
		gist, keys := parseGist(resp.Text)
		if gist == "" {
			continue // an empty reply keeps the extractive gist
		}
		if keys == "" {
			keys = g.Keyphrases
		}
		if err := st.PutGist(ctx, store.Gist{DocumentID: g.DocumentID, Gist: gist, Keyphrases: keys, ByLLM: true}); err != nil {
			return i, err
		}
		if progress != nil {
			progress(MemoryProgress{Done: i + 1, Total: len(todo)})
		}
	}
	all, err := st.Gists(ctx, false, 400)
	if err != nil || len(all) == 0 {
		return len(todo), err
	}
	var sb strings.Builder
	for _, g := range all {
		fmt.Fprintf(&sb, "- %s: %s\n", g.Title, g.Gist)
	}
	resp, err := c.Chat(ctx, llm.Request{Model: model, Messages: []llm.Message{
		{Role: "system", Content: overviewPrompt}, {Role: "user", Content: text.Clip(sb.String(), 24000)},
	}}, nil)
	if err != nil {
		return len(todo), fmt.Errorf("vault overview: %w", err)
	}
	return len(todo), st.SetSetting(ctx, OverviewKey, strings.TrimSpace(resp.Text))
}

const gistPrompt = `Summarize the document in at most two sentences, then on a last line write "Keyphrases:" followed by up to eight comma-separated keyphrases.`

const overviewPrompt = `Below is one line per document of the user's vault. Describe in a short paragraph what the vault is about: its main topics, people, projects and periods.`

func parseGist(reply string) (gist, keys string) {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(reply), "\n") {
		l = strings.TrimSpace(l)
		if k, ok := strings.CutPrefix(l, "Keyphrases:"); ok {
			keys = strings.TrimSpace(k)
			continue
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " "), keys
}
