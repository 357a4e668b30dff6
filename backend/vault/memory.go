package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/memory"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// MemoriesCollection holds what the user asked Hoard to remember; it weighs
// more than the library in retrieval, and newer memories more than older
// ones (temporal decay).
const MemoriesCollection = "memories"

const memoriesWeight = 1.2

// gist sizes: two sentences, about two lines.
const (
	gistSentences = 2
	gistChars     = 320
	keyphrases    = 8
)

// updateGists writes the extractive gist of every indexed document that
// lacks one: new documents, changed ones, imported ones.
func (v *Vault) updateGists(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := v.store.DocumentsWithoutGist(ctx, 200)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			title, text, err := v.store.DocumentText(ctx, id)
			if err != nil {
				return n, err
			}
			g := store.Gist{DocumentID: id}
			g.Gist, g.Keyphrases = gistOf(title, text)
			if err := v.store.PutGist(ctx, g); err != nil {
				return n, err
			}
			n++
		}
	}
}

// gistOf writes a document's extractive gist and keyphrases.
func gistOf(title, text string) (gist, keys string) {
	gist = memory.Gist(title, text, gistSentences, gistChars)
	if gist == "" {
		gist = title
	}
	return gist, strings.Join(memory.Keyphrases(title, text, keyphrases), ", ")
}

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

const overviewKey = "memory.overview"

// Memory returns the global memory; withGists lists every document's gist.
func (v *Vault) Memory(ctx context.Context, withGists bool) (GlobalMemory, error) {
	if _, err := v.updateGists(ctx); err != nil {
		return GlobalMemory{}, err
	}
	gists, err := v.store.Gists(ctx, false, 0)
	if err != nil {
		return GlobalMemory{}, err
	}
	m := GlobalMemory{Documents: len(gists), Keyphrases: topKeyphrases(gists, 20)}
	for _, g := range gists {
		if g.ByLLM {
			m.ByLLM++
		}
	}
	if m.Facts, _, m.Unread, err = v.store.FactCounts(ctx); err != nil {
		return m, err
	}
	if m.Overview, err = v.store.Setting(ctx, overviewKey); err != nil {
		return m, err
	}
	if withGists {
		m.Gists = gists
	}
	return m, nil
}

// topKeyphrases counts in how many documents each keyphrase appears.
func topKeyphrases(gists []store.Gist, n int) []string {
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

// MemoryProgress reports BuildMemory.
type MemoryProgress struct{ Done, Total int }

// BuildMemory has a language model rewrite the gists (documents in order,
// those already written by a model skipped, so it resumes) and then write
// the vault's overview from them.
func (v *Vault) BuildMemory(ctx context.Context, c llm.Client, model string, progress func(MemoryProgress)) (int, error) {
	if _, err := v.updateGists(ctx); err != nil {
		return 0, err
	}
	todo, err := v.store.Gists(ctx, true, 0)
	if err != nil {
		return 0, err
	}
	for i, g := range todo {
		title, body, err := v.store.DocumentText(ctx, g.DocumentID)
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
		if err := v.store.PutGist(ctx, store.Gist{DocumentID: g.DocumentID, Gist: gist, Keyphrases: keys, ByLLM: true}); err != nil {
			return i, err
		}
		if progress != nil {
			progress(MemoryProgress{Done: i + 1, Total: len(todo)})
		}
	}
	all, err := v.store.Gists(ctx, false, 400)
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
	return len(todo), v.store.SetSetting(ctx, overviewKey, strings.TrimSpace(resp.Text))
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

// memoryView lets answering read the global memory and the facts.
type memoryView struct{ v *Vault }

func (m memoryView) Recall(ctx context.Context, text string, n int) ([]answer.Gist, error) {
	gs, err := m.v.store.MatchGists(ctx, search.Parse(text).FTS(), n)
	if err != nil {
		return nil, err
	}
	out := make([]answer.Gist, len(gs))
	for i, g := range gs {
		out[i] = answer.Gist{DocID: g.DocumentID, Title: g.Title, Gist: g.Gist, Keyphrases: strings.Split(g.Keyphrases, ", ")}
	}
	return out, nil
}

func (m memoryView) GistOf(ctx context.Context, docID int64) (string, error) {
	g, err := m.v.store.Gist(ctx, docID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return g.Gist, err
}

// FactsFor finds facts about the names in a question.
func (m memoryView) FactsFor(ctx context.Context, question string, n int) ([]answer.Fact, error) {
	var names []string
	for _, name := range answer.Names(question) {
		if k := entity.Norm(name); k != "" {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	fs, err := m.v.store.FactsAbout(ctx, names, n)
	if err != nil {
		return nil, err
	}
	out := make([]answer.Fact, 0, len(fs))
	for _, f := range fs {
		r, err := m.v.store.ChunkRef(ctx, f.ChunkID)
		if err != nil {
			return nil, err
		}
		out = append(out, answer.Fact{Subject: f.Subject, Relation: f.Relation, Object: f.Object,
			Source: search.Hit{ChunkID: r.ChunkID, DocID: r.DocID, Title: r.Title, Path: r.Path, Page: r.Page, Text: r.Text}})
	}
	return out, nil
}

// FactProgress reports ExtractFacts.
type FactProgress struct{ Chunks, Facts int }

// ExtractFacts has a language model read atomic (subject, relation, object)
// facts from every chunk not read yet; subjects and objects join the entity
// index. It resumes where it stopped; a reply that is not a list of facts
// marks the chunk read with none.
func (v *Vault) ExtractFacts(ctx context.Context, c llm.Client, model string, progress func(FactProgress)) (FactProgress, error) {
	var p FactProgress
	var after int64
	for {
		chunks, err := v.store.UnreadChunks(ctx, after, 50)
		if err != nil || len(chunks) == 0 {
			return p, err
		}
		for _, ch := range chunks {
			after = ch.ID
			resp, err := c.Chat(ctx, llm.Request{Model: model, Messages: []llm.Message{
				{Role: "system", Content: factsPrompt},
				{Role: "user", Content: "Document: " + ch.Title + "\n\n" + ch.Text},
			}}, nil)
			if err != nil {
				return p, fmt.Errorf("facts of chunk %d: %w", ch.ID, err)
			}
			facts := parseFacts(resp.Text)
			if err := v.store.PutFacts(ctx, ch.ID, c.Name()+"/"+model, facts, entity.Norm); err != nil {
				return p, err
			}
			p.Chunks++
			p.Facts += len(facts)
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
	p := prepared{src: store.Source{Path: path, Size: int64(len(body)), MTime: time.Now().Unix()}, hash: hex.EncodeToString(sum[:])}
	id, _, err := v.store.Index(ctx, MemoriesCollection, p.src, *v.content(doc, p))
	if err != nil {
		return 0, err
	}
	v.bin.Refresh()
	if v.embedding(ctx) {
		if _, err := v.embedPending(ctx, nil); err != nil {
			v.log.Warn("memory stored without its vector", "err", err)
		}
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
