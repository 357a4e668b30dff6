package wire

import (
	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// ModelStatus is a catalog model and whether it is installed (GET
// /api/models): the catalog's own description, which no storage row
// carries.
type ModelStatus = models.Status

// Conversions from the vault's values. A list a reply always carries is
// never nil (JSON null): the generated types promise an array.

// list maps a slice, to an empty one when there is none.
func list[S, T any](in []S, f func(S) T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// orEmpty is s, or an empty slice for nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func span(t *search.TimeSpan) *TimeSpan {
	if t == nil {
		return nil
	}
	return &TimeSpan{StartMS: t.StartMS, EndMS: t.EndMS}
}

// FromHit is a search hit as clients see it, with how to cite its pages
// and, for a recording, its moment.
func FromHit(h search.Hit) Hit {
	out := Hit{ChunkID: h.ChunkID, DocID: h.DocID, Title: h.Title, Path: h.Path, Page: h.Page, PageEnd: h.PageEnd,
		Pages: search.Pages(h.Page, h.PageEnd), Heading: h.Heading, Snippet: h.Snippet, Text: h.Text, Score: h.Score,
		Collection: h.Collection, MediaType: h.MediaType, Via: h.Via, Context: h.Context, More: h.More,
		Time: span(h.Time), Passage: span(h.Passage)}
	if h.Time != nil {
		out.At, out.AtSeconds = search.Clock(h.Time.StartMS), float64(h.Time.StartMS)/1000
	}
	return out
}

// FromHits converts hits in order.
func FromHits(hs []search.Hit) []Hit { return list(hs, FromHit) }

// FromDocument converts a listed document.
func FromDocument(d vault.DocumentInfo) DocumentInfo {
	out := DocumentInfo(d)
	out.Paths = orEmpty(out.Paths)
	return out
}

// FromDocuments converts documents in order.
func FromDocuments(ds []vault.DocumentInfo) []DocumentInfo { return list(ds, FromDocument) }

// FromDocumentPage converts a page of documents.
func FromDocumentPage(ds []vault.DocumentInfo, total, offset, limit int) Page[DocumentInfo] {
	return Page[DocumentInfo]{Items: FromDocuments(ds), Total: total, Offset: offset, Limit: limit}
}

// FromChunk converts a passage.
func FromChunk(c vault.Chunk) Chunk {
	out := Chunk{ID: c.ID, Ordinal: c.Ordinal, Text: c.Text, PageStart: c.PageStart, PageEnd: c.PageEnd, Heading: c.Heading,
		CharStart: c.CharStart, CharEnd: c.CharEnd}
	if c.Time != nil {
		out.Time = &TimeSpan{StartMS: c.Time.StartMS, EndMS: c.Time.EndMS}
	}
	for _, m := range c.Marks {
		out.Marks = append(out.Marks, [2]int64{int64(m.Char), m.MS})
	}
	return out
}

// FromDetail is a document with its passages.
func FromDetail(d vault.DocumentInfo, chunks []vault.Chunk) DocumentDetail {
	return DocumentDetail{DocumentInfo: FromDocument(d), Chunks: list(chunks, FromChunk)}
}

// FromCollection converts a collection.
func FromCollection(c vault.Collection) Collection { return Collection(c) }

// FromCollections converts collections in order.
func FromCollections(cs []vault.Collection) []Collection { return list(cs, FromCollection) }

// FromQueueItem converts a queue row that is not being worked on.
func FromQueueItem(q vault.QueueItem) QueueItem {
	return QueueItem{ID: q.ID, Path: q.Path, Op: q.Op, Collection: q.Collection, State: q.State, Attempts: q.Attempts,
		NotBefore: q.NotBefore, Reason: q.Reason, AddedAt: q.AddedAt}
}

// FromQueue converts the queue's counts and rows, with each running row's
// stage.
func FromQueue(q vault.Queue) Queue {
	return Queue{QueueStats: QueueStats(q.QueueStats), Items: list(q.Items, func(e vault.QueueEntry) QueueItem {
		out := FromQueueItem(e.QueueItem)
		out.Stage = e.Stage
		if e.Progress != nil {
			out.Progress = &MediaProgress{DoneMS: e.Progress.DoneMS, TotalMS: e.Progress.TotalMS}
		}
		return out
	})}
}

func fromFailure(f vault.Failure) Failure { return Failure(f) }

// FromFailures converts failed (or waiting) files.
func FromFailures(fs []vault.Failure) []Failure { return list(fs, fromFailure) }

// optional converts a list that is left out when empty.
func optional(fs []vault.Failure) []Failure {
	if len(fs) == 0 {
		return nil
	}
	return FromFailures(fs)
}

// FromSummary converts an indexing run's totals.
func FromSummary(s vault.Summary) Summary {
	return Summary{Indexed: s.Indexed, Unchanged: s.Unchanged, Linked: s.Linked, Failed: FromFailures(s.Failed), Removed: s.Removed,
		Retrying: optional(s.Retrying), Waiting: optional(s.Waiting), Skipped: s.Skipped, Chunks: s.Chunks, Queued: s.Queued,
		Embedded: s.Embedded, Warnings: s.Warnings}
}

// FromCitation converts a cited passage.
func FromCitation(c answer.Citation) Citation {
	return Citation{N: c.N, DocID: c.DocID, ChunkID: c.ChunkID, Title: c.Title, Path: c.Path, Page: c.Page, PageEnd: c.PageEnd,
		Time: span(c.Time), Text: c.Text}
}

func citations(cs []answer.Citation) []Citation {
	if len(cs) == 0 {
		return nil
	}
	return list(cs, FromCitation)
}

func fromStep(s answer.Step) Step { return Step(s) }

// FromAnswer converts an answer.
func FromAnswer(a answer.Answer) Answer {
	return Answer{Answer: a.Answer, Query: a.Query, Citations: list(a.Citations, FromCitation), Trace: list(a.Trace, fromStep),
		Extractive: a.Extractive, NotInVault: a.NotInVault, Uncited: a.Uncited, Sources: citations(a.Sources), Removed: a.Removed,
		LeftOut: citations(a.LeftOut), Conversation: a.Conversation}
}

// FromConversation converts a listed conversation.
func FromConversation(c vault.Conversation) Conversation { return Conversation(c) }

// FromConversations converts conversations in order.
func FromConversations(cs []vault.Conversation) []Conversation { return list(cs, FromConversation) }

// FromConversationDetail is a conversation with its messages.
func FromConversationDetail(c vault.Conversation, msgs []vault.ChatMessage) ConversationDetail {
	return ConversationDetail{Conversation: FromConversation(c), Messages: list(msgs, func(m vault.ChatMessage) ChatMessage {
		out := ChatMessage{ID: m.ID, Role: m.Role, Content: m.Content, Query: m.Query, Citations: citations(m.Citations), CreatedAt: m.CreatedAt}
		if len(m.Trace) > 0 {
			out.Trace = list(m.Trace, fromStep)
		}
		return out
	})}
}

// FromMemory converts the vault-level memory.
func FromMemory(m vault.GlobalMemory) GlobalMemory {
	out := GlobalMemory{Overview: m.Overview, Documents: m.Documents, ByLLM: m.ByLLM, Keyphrases: orEmpty(m.Keyphrases),
		Facts: m.Facts, Unread: m.Unread}
	if len(m.Gists) > 0 {
		out.Gists = list(m.Gists, func(g vault.Gist) Gist { return Gist(g) })
	}
	return out
}

// FromWatched converts the watched folders.
func FromWatched(ws []vault.WatchedFolder) []WatchedFolder {
	return list(ws, func(w vault.WatchedFolder) WatchedFolder { return WatchedFolder(w) })
}

// FromWatchStatus converts the background watch's state.
func FromWatchStatus(w vault.WatchStatus) WatchStatus { return WatchStatus(w) }

// FromStatus converts the vault's description.
func FromStatus(s vault.Status) Status {
	return Status{Vault: s.Vault, Stats: Stats(s.Stats), Schema: s.Schema, SQLiteVersion: s.SQLiteVersion, VecVersion: s.VecVersion,
		Neural: NeuralStatus(s.Neural), Queue: FromQueue(s.Queue), Watched: FromWatched(s.Watched),
		Transcription: TranscriptionStatus(s.Transcription), Chat: ChatStatus(s.Chat), Watch: FromWatchStatus(s.Watch)}
}

// FromLLM converts the language-model settings.
func FromLLM(l vault.LLMSettings) LLMSettings { return LLMSettings(l) }

// ToLLM is the settings a client sent, for the vault.
func ToLLM(l LLMSettings) vault.LLMSettings { return vault.LLMSettings(l) }

// FromTranscription converts the transcription engine's settings.
func FromTranscription(t vault.TranscriptionOptions) TranscriptionSettings {
	return TranscriptionSettings(t)
}

// ToTranscription is the settings a client sent, for the vault.
func ToTranscription(t TranscriptionSettings) vault.TranscriptionOptions {
	return vault.TranscriptionOptions(t)
}

// FromTranscriptionTest converts what the engine heard.
func FromTranscriptionTest(t vault.TranscriptionTest) TranscriptionTest { return TranscriptionTest(t) }

// FromImport converts what an import added.
func FromImport(r vault.ImportResult) ImportResult { return ImportResult(r) }

// FromPageLayout converts a page's word boxes.
func FromPageLayout(l extract.PageLayout) PageLayout {
	return PageLayout{Page: l.Page, Label: l.Label, Width: l.Width, Height: l.Height, Lines: list(l.Lines, func(ln extract.Line) LayoutLine {
		return LayoutLine{Words: list(ln.Words, func(w extract.Word) LayoutWord { return LayoutWord(w) })}
	})}
}
