package answer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Who directed Inception?", []string{"Inception"}},
		{"Which film came out first, Blind Shaft or The Mask Of Fu Manchu?", []string{"Blind Shaft", "The Mask Of Fu Manchu"}},
		{"Where was the director of \"Le Samouraï\" born?", []string{"Le Samouraï"}},
		{"When was he born?", nil},
		{"Is Bank of America older than Wells Fargo?", []string{"Bank of America", "Wells Fargo"}},
		{"", nil},
	} {
		if got := answer.Names(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Names(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSummaryTopic(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Summarize what my notes say about black holes", "black holes"},
		{"summarise photosynthesis.", "photosynthesis"},
		{"What do my notes say about the Roman Empire?", "the Roman Empire"},
		{"Give me an overview of quantum computing", "quantum computing"},
		{"Tell me everything about Rust", "Rust"},
		{"What is a black hole?", ""},
		{"Who summarized the report?", ""},
	} {
		if got := answer.SummaryTopic(tc.in); got != tc.want {
			t.Errorf("SummaryTopic(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// chatVault holds three short notes: a film, its director, and someone else
// born elsewhere, so "when was he born?" has a wrong answer to fall into.
func chatVault(t *testing.T) *vault.Vault {
	t.Helper()
	src := t.TempDir()
	notes := map[string]string{
		"inception.md": "# Inception\n\nInception is a 2010 science fiction film written and directed by Christopher Nolan. It follows a thief who steals secrets through dreams.\n",
		"nolan.md":     "# Christopher Nolan\n\nChristopher Nolan is a British and American filmmaker. Nolan was born on 30 July 1970 in Westminster, London. His films include Memento and Interstellar.\n",
		"dreams.md":    "# Dream research\n\nLucid dreaming was studied in sleep laboratories at Stanford University in the 1980s.\n",
		"curie.md":     "# Marie Curie\n\nMarie Curie was a physicist and chemist. She was born on 7 November 1867 in Warsaw. She won two Nobel Prizes.\n",
	}
	for name, text := range notes {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v := indexedVault(t, src)
	return v
}

// A follow-up is read against the stored conversation: "he" becomes the
// person the last answer named, and the exchange is kept in the vault.
func TestFollowUpWithoutModel(t *testing.T) {
	v := chatVault(t)
	ctx := context.Background()
	first, err := v.Ask(ctx, "Who directed Inception?", vault.AskOptions{NewConversation: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Conversation == 0 || !strings.Contains(first.Answer, "Christopher Nolan") {
		t.Fatalf("first answer: %+v", first)
	}
	alone, err := v.Ask(ctx, "When was he born?", vault.AskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	follow, err := v.Ask(ctx, "When was he born?", vault.AskOptions{Conversation: first.Conversation})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(follow.Query, "Christopher Nolan") || !strings.Contains(follow.Answer, "1970") || strings.Contains(follow.Answer, "Warsaw") {
		t.Fatalf("follow-up read as %q, answered %q (alone it was answered %q)", follow.Query, follow.Answer, alone.Answer)
	}
	if follow.Conversation != first.Conversation {
		t.Errorf("follow-up stored in conversation %d, want %d", follow.Conversation, first.Conversation)
	}
	conv, msgs, err := v.Conversation(ctx, first.Conversation)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Title != "Who directed Inception?" || len(msgs) != 4 || msgs[2].Content != "When was he born?" ||
		msgs[2].Query != follow.Query || msgs[3].Role != "assistant" || len(msgs[3].Citations) == 0 {
		t.Fatalf("stored conversation %+v: %+v", conv, msgs)
	}
	list, err := v.Conversations(ctx, 10, 0)
	if err != nil || len(list) != 1 || list[0].Messages != 4 {
		t.Fatalf("conversations %+v %v", list, err)
	}
	if err := v.DeleteConversation(ctx, conv.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.Conversation(ctx, conv.ID); err == nil {
		t.Error("deleted conversation still readable")
	}
	if _, err := v.Ask(ctx, "and then?", vault.AskOptions{Conversation: conv.ID}); err == nil {
		t.Error("asking in a deleted conversation did not fail")
	}
}

// "Summarize what my notes say about X" lists the gists of the documents
// about X, each cited.
func TestSummaryFromGists(t *testing.T) {
	v := chatVault(t)
	a, err := v.Ask(context.Background(), "Summarize what my notes say about Christopher Nolan", vault.AskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Extractive || len(a.Citations) < 2 || !strings.Contains(a.Answer, "Inception") || !strings.Contains(a.Answer, "1970") {
		t.Fatalf("summary: %+v", a)
	}
	if a.Trace[0].Step != "summary" {
		t.Errorf("trace %+v", a.Trace)
	}
}

// scripted is a local server speaking the OpenAI chat protocol (streamed),
// replying with reply(system prompt, user prompt) and recording the prompts.
type scripted struct {
	mu      sync.Mutex
	prompts []string
}

func (s *scripted) server(t *testing.T, reply func(system, user string) string) llm.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []llm.Message `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		sys, user := body.Messages[0].Content, body.Messages[len(body.Messages)-1].Content
		s.mu.Lock()
		s.prompts = append(s.prompts, user)
		s.mu.Unlock()
		text := reply(sys, user)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < len(text); i += 7 { // several deltas, cut anywhere
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]string{"content": text[i:min(i+7, len(text))]}}}})
			io.WriteString(w, "data: "+string(b)+"\n\n")
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return llm.NewOpenAI(llm.Options{BaseURL: srv.URL})
}

// With a model: facts are read from every chunk into the facts table; a
// question that needs two facts is answered hop by hop (the model asks for
// the missing fact, Hoard retrieves it), the hops are in the trace, the NEED
// line is never streamed, and citations cover both hops.
func TestFactsAndRecursiveAnswer(t *testing.T) {
	v := chatVault(t)
	ctx := context.Background()
	var s scripted
	calls := 0
	c := s.server(t, func(sys, user string) string {
		switch {
		case strings.Contains(sys, "search queries"):
			return "Christopher Nolan birth"
		case strings.Contains(sys, "atomic facts"):
			switch {
			case strings.Contains(user, "Inception is"):
				return "Inception | directed by | Christopher Nolan\nInception | released in | 2010"
			case strings.Contains(user, "Nolan was born"):
				return "- Christopher Nolan | born on | 30 July 1970"
			}
			return "NONE"
		case strings.Contains(sys, "NEED:"):
			if calls++; calls == 1 || !strings.Contains(user, "Stanford") {
				return "NEED: Where was lucid dreaming studied?"
			}
			var n []string
			for _, title := range []string{"Christopher Nolan", "Dream research"} {
				i := strings.Index(user, "] "+title+"\n")
				n = append(n, user[i-2:i+1])
			}
			return "Christopher Nolan " + n[0] + " was born in Westminster, London; the film's dream ideas echo research at Stanford " + n[1] + "."
		}
		return "I do not know."
	})
	p, err := v.ExtractFacts(ctx, c, "m", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Chunks != 4 || p.Facts != 3 {
		t.Fatalf("read %+v, want 4 chunks and 3 facts", p)
	}
	if again, err := v.ExtractFacts(ctx, c, "m", nil); err != nil || again.Chunks != 0 {
		t.Fatalf("a second run read %+v again (%v)", again, err)
	}
	var streamed strings.Builder
	a, err := v.Ask(ctx, "In which city was the director of Inception born?", vault.AskOptions{LLM: c, Model: "m",
		OnDelta: func(d string) error { streamed.WriteString(d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.Answer, "Westminster, London") || streamed.String() != a.Answer || strings.Contains(streamed.String(), "NEED") {
		t.Fatalf("answer %q, streamed %q, trace %+v", a.Answer, streamed.String(), a.Trace)
	}
	var facts, hops int
	for _, st := range a.Trace {
		if st.Step == "facts" {
			facts++
		}
		if st.Step == "hop" && strings.Contains(st.Detail, `"Where was lucid dreaming studied?" → 1 new passage`) {
			hops++
		}
	}
	titles := map[string]bool{}
	for _, ct := range a.Citations {
		titles[ct.Title] = true
	}
	if facts != 1 || hops != 1 || !titles["Dream research"] || !titles["Christopher Nolan"] {
		t.Fatalf("trace %+v, citations %+v", a.Trace, a.Citations)
	}
	if !strings.Contains(s.prompts[len(s.prompts)-2], "Inception | directed by | Christopher Nolan") {
		t.Errorf("the known facts were not in the prompt: %q", s.prompts[len(s.prompts)-2])
	}
}

// With a model, the global memory is rewritten by it (gists, then the
// vault's overview) and drives clue queries for a question.
func TestGlobalMemoryWithModel(t *testing.T) {
	v := chatVault(t)
	ctx := context.Background()
	m, err := v.Memory(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Documents != 4 || m.ByLLM != 0 || len(m.Gists) != 4 || m.Overview != "" {
		t.Fatalf("extractive memory %+v", m)
	}
	var s scripted
	c := s.server(t, func(sys, user string) string {
		switch {
		case strings.HasPrefix(sys, "Summarize the document"):
			return "A note about " + strings.TrimPrefix(strings.SplitN(user, "\n", 2)[0], "Title: ") + ".\nKeyphrases: film, science"
		case strings.Contains(sys, "what the vault is about"):
			return "Films and scientists."
		case strings.Contains(sys, "search queries"):
			return "1. Christopher Nolan birth date\n2. Inception director"
		}
		return "Nolan was born in 1970 [1]."
	})
	n, err := v.BuildMemory(ctx, c, "m", nil)
	if err != nil || n != 4 {
		t.Fatalf("built %d gists: %v", n, err)
	}
	m, err = v.Memory(ctx, true)
	if err != nil || m.ByLLM != 4 || m.Overview != "Films and scientists." || m.Gists[0].Keyphrases != "film, science" {
		t.Fatalf("memory %+v %v", m, err)
	}
	a, err := v.Ask(ctx, "When was the director of Inception born?", vault.AskOptions{LLM: c, Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	clue := false
	for _, st := range a.Trace {
		clue = clue || st.Step == "clues" && strings.Contains(st.Detail, "Christopher Nolan birth date")
	}
	if !clue {
		t.Fatalf("no clue queries in the trace: %+v", a.Trace)
	}
	if !strings.Contains(s.prompts[len(s.prompts)-2], "A note about Inception.") {
		t.Errorf("the clue prompt did not hold the gists: %q", s.prompts[len(s.prompts)-2])
	}
}

// "Remember this" notes are searchable at once, weigh more than the library,
// can be edited and forgotten, and only memories can be.
func TestMemories(t *testing.T) {
	v := chatVault(t)
	ctx := context.Background()
	id, err := v.Remember(ctx, "", "My locker code at the Westminster gym is 4471.")
	if err != nil {
		t.Fatal(err)
	}
	list, total, err := v.Memories(ctx, 10, 0)
	if err != nil || total != 1 || list[0].ID != id || list[0].Collection != vault.MemoriesCollection || !strings.HasPrefix(list[0].Title, "My locker code") {
		t.Fatalf("memories %+v %d %v", list, total, err)
	}
	a, err := v.Ask(ctx, "What is my locker code?", vault.AskOptions{})
	if err != nil || !strings.Contains(a.Answer, "4471") {
		t.Fatalf("answer %+v %v", a, err)
	}
	if err := v.UpdateMemory(ctx, id, "", "My locker code at the Westminster gym is 9012."); err != nil {
		t.Fatal(err)
	}
	a, _ = v.Ask(ctx, "What is my locker code?", vault.AskOptions{})
	if !strings.Contains(a.Answer, "9012") || strings.Contains(a.Answer, "4471") {
		t.Fatalf("after edit: %q", a.Answer)
	}
	docs, _, _ := v.Documents(ctx, store.ListOptions{})
	var library int64
	for _, d := range docs {
		if d.Collection != vault.MemoriesCollection {
			library = d.ID
		}
	}
	if err := v.Forget(ctx, library); err == nil {
		t.Error("Forget deleted a library document")
	}
	if err := v.Forget(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := v.Memories(ctx, 10, 0); total != 0 {
		t.Errorf("%d memories left", total)
	}
	if _, err := v.Remember(ctx, "", "   "); err == nil {
		t.Error("an empty memory was stored")
	}
}

// With a model, a follow-up is rewritten by it into a standalone question,
// from the stored conversation.
func TestFollowUpRewrittenByModel(t *testing.T) {
	v := chatVault(t)
	ctx := context.Background()
	var s scripted
	c := s.server(t, func(sys, user string) string {
		if strings.HasPrefix(sys, "Rewrite the user's last question") {
			if strings.Contains(user, "User: Who directed Inception?") && strings.HasSuffix(user, "User: When was he born?\n\nRewritten question:") {
				return "When was Christopher Nolan born?"
			}
			return "unexpected prompt"
		}
		if strings.Contains(sys, "search queries") {
			return ""
		}
		return "Christopher Nolan was born on 30 July 1970 [1]."
	})
	first, err := v.Ask(ctx, "Who directed Inception?", vault.AskOptions{LLM: c, Model: "m", NewConversation: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := v.Ask(ctx, "When was he born?", vault.AskOptions{LLM: c, Model: "m", Conversation: first.Conversation})
	if err != nil {
		t.Fatal(err)
	}
	if a.Query != "When was Christopher Nolan born?" || a.Trace[0].Step != "follow-up" || !strings.Contains(a.Trace[0].Detail, "rewritten by the model") {
		t.Fatalf("query %q, trace %+v", a.Query, a.Trace)
	}
}
