package answer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/vault"
)

const blackHole = "What is the name of the boundary around a black hole beyond which nothing can return?"

// Every [n] of a generated answer is checked against the passages given:
// one pointing at a passage not given is taken out and said in the trace;
// an answer citing nothing is marked uncited, its passages beside it.
func TestCitationsAreChecked(t *testing.T) {
	v, _ := toyVault(t)
	for _, tc := range []struct {
		reply, want string
		removed     []int
		cited       []int
		uncited     bool
	}{
		{"The boundary is the event horizon [1].", "The boundary is the event horizon [1].", nil, []int{1}, false},
		{"The boundary is the event horizon [1][9].", "The boundary is the event horizon [1].", []int{9}, []int{1}, false},
		{"It is the event horizon [0] [1] [99].", "It is the event horizon [1].", []int{0, 99}, []int{1}, false},
		{"It is the event horizon.", "It is the event horizon.", nil, nil, true},
		{"It is the event horizon [70].", "It is the event horizon.", []int{70}, nil, true},
	} {
		var s scripted
		c := s.server(t, func(_, _ string) string { return tc.reply })
		var streamed strings.Builder
		a, err := v.Ask(context.Background(), blackHole, vault.AskOptions{LLM: c, Model: "m", OnDelta: func(d string) error {
			streamed.WriteString(d)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		// What streamed is what the answer says: a marker taken out is
		// never shown, even for a moment (the reply comes in 7-byte pieces).
		if got := strings.TrimSpace(streamed.String()); got != a.Answer {
			t.Errorf("%q: streamed %q, answer %q", tc.reply, got, a.Answer)
		}
		given := len(regexp.MustCompile(`(?m)^\[\d+\] `).FindAllString(s.prompts[len(s.prompts)-1], -1))
		var cited []int
		for _, ct := range a.Citations {
			cited = append(cited, ct.N)
		}
		if a.Answer != tc.want || !reflect.DeepEqual(a.Removed, tc.removed) || !reflect.DeepEqual(cited, tc.cited) || a.Uncited != tc.uncited {
			t.Errorf("%q: answer %q, removed %v, cited %v, uncited %v", tc.reply, a.Answer, a.Removed, cited, a.Uncited)
		}
		if tc.uncited && len(a.Sources) != given {
			t.Errorf("%q: %d sources beside the uncited answer, %d passages given", tc.reply, len(a.Sources), given)
		}
		said := false
		for _, st := range a.Trace {
			said = said || st.Step == "citations"
		}
		if said != (tc.removed != nil || tc.uncited) {
			t.Errorf("%q: trace %+v", tc.reply, a.Trace)
		}
	}
}

// Whether the vault answers is decided from the passages before any model
// is asked, the same way as without one: what the vault does not hold gets
// "not in your vault" and the nearest sources, and the model is not called.
func TestNotInVaultBeforeAnyModel(t *testing.T) {
	src := testdata.Shared(t, "samples/docs/unstructured")
	v := indexedVault(t, src)
	var calls atomic.Int32
	var s scripted
	c := s.server(t, func(_, _ string) string { calls.Add(1); return "Paris [1]." })
	for _, q := range []string{"What is the capital of France?", "Who painted the Mona Lisa?", "How many moons does Jupiter have?",
		"Who won the 2018 FIFA World Cup?", "When did Lothair II's mother die?"} {
		before := calls.Load()
		gen, err := v.Ask(context.Background(), q, vault.AskOptions{LLM: c, Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		ext, err := v.Ask(context.Background(), q, vault.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !gen.NotInVault || !ext.NotInVault || calls.Load() != before || len(gen.Citations) != 0 || gen.Extractive {
			t.Errorf("%q: generated %+v (model called %d times), extractive not in vault %v", q, gen, calls.Load()-before, ext.NotInVault)
		}
		// The nearest sources, when the search found any.
		found := true
		for _, st := range gen.Trace {
			found = found && !(st.Step == "search" && strings.HasPrefix(st.Detail, "0 passage(s)"))
		}
		if !strings.HasPrefix(gen.Answer, answer.NothingFound) || found != (len(gen.Sources) > 0) {
			t.Errorf("%q: %q with %d nearest sources (trace %+v)", q, gen.Answer, len(gen.Sources), gen.Trace)
		}
	}
	// What the vault holds is asked of the model.
	before := calls.Load()
	a, err := v.Ask(context.Background(), "How many bottles of water were delivered?", vault.AskOptions{LLM: c, Model: "m"})
	if err != nil || a.NotInVault || calls.Load() == before {
		t.Errorf("answerable: %+v %v, model called %d times", a, err, calls.Load()-before)
	}
}

// runnerVault is a vault of five long notes on one subject, so that a
// question retrieves all five and they cannot all fit a small context.
func runnerVault(t *testing.T) *vault.Vault {
	t.Helper()
	src := t.TempDir()
	ships := []string{"Albatross and Bonaventure", "Cormorant, Dauntless and Endeavour", "Fulmar", "Gannet and Halcyon", "Ibis, Jackdaw and Kestrel"}
	winds := []string{"north-east gale", "westerly breeze", "southern squall", "easterly haze", "northern storm"}
	for i := 1; i <= 5; i++ {
		var sb strings.Builder
		fmt.Fprintf(&sb, "# Lighthouse log %d\n\n", i)
		for j := 0; j < 12; j++ {
			fmt.Fprintf(&sb, "Entry %d of station %d: the keeper logged the wind as a %s, trimmed wick number %d and saw the ships %s passing the reef at hour %d. ",
				j+1, i, winds[(i+j)%5], 10*i+j, ships[(i*j)%5], (3*i+j)%24)
		}
		os.WriteFile(filepath.Join(src, fmt.Sprintf("log%d.md", i)), []byte(sb.String()), 0o644)
	}
	return indexedVault(t, src)
}

func builtinRunner(t *testing.T, context int) *llm.Builtin {
	t.Helper()
	server, gguf := testdata.Runner(t)
	b := llm.NewBuiltin(llm.BuiltinOptions{Server: server, Threads: 2}, llm.BuiltinModel{Name: testdata.ChatModel, Path: gguf, Context: context})
	t.Cleanup(func() { b.Close() })
	return b
}

var promptTokens = regexp.MustCompile(`(\d+) prompt tokens`)

// The prompt fits the model's context: with the test model at 384 tokens,
// passages are cut and left out, the answer names those left out, and the
// server is never sent more than it holds; at 4096 all go in.
func TestPromptFitsTheContext(t *testing.T) {
	v := runnerVault(t)
	q := "What did the keeper log about the wind and the ships passing the reef?"
	for _, tc := range []struct {
		context int
		leftOut bool
	}{{384, true}, {4096, false}} {
		b := builtinRunner(t, tc.context)
		var streamed strings.Builder
		a, err := answer.Ask(context.Background(), v, q, answer.Options{LLM: b, Sources: 5,
			OnDelta: func(s string) error { streamed.WriteString(s); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if a.Extractive || a.NotInVault {
			t.Fatalf("context %d: not generated: %+v", tc.context, a)
		}
		var fitted string
		sent := 0
		for _, st := range a.Trace {
			if st.Step == "context" {
				fitted = st.Detail
			}
			if m := promptTokens.FindStringSubmatch(st.Detail); st.Step == "llm" && m != nil {
				sent, _ = strconv.Atoi(m[1])
			}
		}
		// llama.cpp rounds the context up (to 512 here): what it reports
		// is what the prompt must fit, with room for the answer.
		nctx, err := b.ContextSize(context.Background(), "")
		if err != nil || nctx < tc.context {
			t.Fatalf("context %d reported (%v)", nctx, err)
		}
		if sent == 0 || sent > nctx*3/4 {
			t.Errorf("context %d: %d prompt tokens sent (trace %+v)", nctx, sent, a.Trace)
		}
		if tc.leftOut != (len(a.LeftOut) > 0) || tc.leftOut != (fitted != "") {
			t.Errorf("context %d: left out %d, trace %q", tc.context, len(a.LeftOut), fitted)
		}
		for _, l := range a.LeftOut {
			if !strings.Contains(fitted, l.Title) {
				t.Errorf("context %d: %q left out but not named in %q", tc.context, l.Title, fitted)
			}
		}
		if streamed.Len() == 0 {
			t.Errorf("context %d: nothing streamed", tc.context)
		}
	}
}

// The test model answers from the sample documents; it is too weak for
// its answers to be judged, so only Hoard's checks are: every citation
// left points at a passage given, the ones taken out did not, and an
// answer citing nothing is marked so, with its sources.
func TestGeneratedAnswerChecks(t *testing.T) {
	v := indexedVault(t, testdata.Shared(t, "samples/docs/unstructured"))
	b := builtinRunner(t, 4096)
	for _, q := range []string{"How many bottles of water were delivered?", "Who appoints and supervises standing trustees?"} {
		a, err := answer.Ask(context.Background(), v, q, answer.Options{LLM: b})
		if err != nil {
			t.Fatal(err)
		}
		if a.Extractive || a.NotInVault {
			t.Fatalf("%q: not generated: %+v", q, a)
		}
		for _, m := range regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(a.Answer, -1) {
			n, _ := strconv.Atoi(m[1])
			found := false
			for _, c := range a.Citations {
				found = found || c.N == n
			}
			if !found {
				t.Errorf("%q: [%d] in %q is no citation", q, n, a.Answer)
			}
		}
		if len(a.Citations) == 0 && (!a.Uncited || len(a.Sources) == 0) {
			t.Errorf("%q: uncited answer %q not marked (sources %d)", q, a.Answer, len(a.Sources))
		}
	}
}

// Whether the vault answers weighs the question's words by their rarity in
// the whole vault, not among the passages found for them: a question whose
// key word the vault never holds, or holds only elsewhere ("in light of"),
// gets "nothing", though a sentence holds its other word; questions whose
// words the vault holds together are answered.
func TestRarityDecidesWhatTheVaultAnswers(t *testing.T) {
	src := t.TempDir()
	pages := map[string]string{
		"planner.txt": "Query Planning\n\nInlining adds planning time, but can improve execution speed. " +
			"Such optimization adds planning time, but can improve execution speed. " +
			"The planner chooses a plan from the statistics of each table.",
		"jit.txt": "Just-in-Time Compilation\n\nCompiling expressions pays off for long queries, where execution speed matters more than start-up time. " +
			"Short queries rarely gain speed from it.",
		"dump.txt": "Backups\n\nThe dump program writes a script of the database. " +
			"In light of the limitations listed below, restore the dump into a fresh database.",
		"locks.txt": "Locks\n\nA table lock is held until the end of the transaction. " +
			"Row locks are taken by updates and deletes.",
		"vacuum.txt": "Vacuuming\n\nVacuum reclaims the space taken by dead rows. " +
			"The autovacuum launcher starts one worker per database every minute.",
		"wal.txt": "Write-Ahead Log\n\nChanges are written to the log before the data files. " +
			"The log lets the server recover after a crash.",
		"indexes.txt": "Indexes\n\nAn index lets the server find rows without reading the whole table. " +
			"B-tree indexes handle equality and range queries.",
		"ports.txt": "Connections\n\nThe server listens on TCP port 5432 by default. " +
			"Clients connect through a socket or over the network.",
	}
	for name, text := range pages {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v := indexedVault(t, src)
	for _, tc := range []struct {
		q, want string // want "": nothing answers it
	}{
		{"What is the speed of sound?", ""}, // "sound" is in no page
		{"What is the speed of light?", ""}, // "light" only in "in light of"
		{"What can improve execution speed?", "Inlining adds planning time"},
		{"Which TCP port does the server listen on?", "5432"},
		{"How many autovacuum workers start per database every minute?", "one worker per database"},
	} {
		a, err := v.Ask(context.Background(), tc.q, vault.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nothing := a.NotInVault && strings.HasPrefix(a.Answer, answer.NothingFound) && len(a.Citations) == 0
		switch {
		case tc.want == "" && !nothing:
			t.Errorf("%q is answered, want nothing: %q", tc.q, a.Answer)
		case tc.want != "" && (nothing || !strings.Contains(a.Answer, tc.want)):
			t.Errorf("%q: want %q in the answer, got %q", tc.q, tc.want, a.Answer)
		}
	}
}

// In a vault of one memo every word it holds is as common as can be, and a
// word that frames the question ("how many") is in no document: the
// question's own words decide, and the memo answers.
func TestOneDocumentVaultAnswersHowMany(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "memo.txt"), []byte("May 5, 2023\n\nThere were 20,000 bottles of water delivered on January 23. A total of 3 trucks were used for 15 hours.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := indexedVault(t, src)
	for _, q := range []string{"How many trucks were used?", "How much water was delivered?"} {
		a, err := v.Ask(context.Background(), q, vault.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.NotInVault || len(a.Citations) == 0 {
			t.Errorf("%q: nothing found in the memo that answers it: %q", q, a.Answer)
		}
	}
	a, err := v.Ask(context.Background(), "How many ships sailed?", vault.AskOptions{})
	if err != nil || !a.NotInVault {
		t.Errorf("a question the memo does not answer: %q %v", a.Answer, err)
	}
}

// Ollama tells no token counts, and cuts a prompt past its window without a
// word: Hoard fits the prompt to the model's window by a cautious estimate,
// asks Ollama for exactly that window, and names what it left out.
func TestOllamaPromptFitsItsWindow(t *testing.T) {
	v, _ := toyVault(t)
	var prompt, system string
	var window float64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []llm.Message  `json:"messages"`
			Options  map[string]any `json:"options"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		switch r.URL.Path {
		case "/api/show":
			io.WriteString(w, `{"parameters":"num_ctx 400","model_info":{"llama.context_length":131072}}`)
		case "/api/chat":
			system, prompt = body.Messages[0].Content, body.Messages[len(body.Messages)-1].Content
			window, _ = body.Options["num_ctx"].(float64)
			io.WriteString(w, `{"message":{"role":"assistant","content":"It is the event horizon [1]."},"done":true}`+"\n")
		}
	}))
	t.Cleanup(srv.Close)
	c := llm.NewOllama(llm.Options{BaseURL: srv.URL})
	a, err := v.Ask(context.Background(), blackHole, vault.AskOptions{LLM: c, Model: "small"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Extractive || prompt == "" {
		t.Fatalf("not generated: %+v", a)
	}
	used, _ := c.CountTokens(context.Background(), "small", system+"\n"+prompt)
	if window != 400 || used > 400*3/4 {
		t.Errorf("window %v asked; the prompt is %d estimated tokens", window, used)
	}
	fitted := ""
	for _, st := range a.Trace {
		if st.Step == "context" {
			fitted = st.Detail
		}
	}
	// The passage did not fit whole: it was cut (or left out), and said so.
	if !strings.Contains(fitted, "400-token context") || !(strings.Contains(fitted, "cut to fit") || len(a.LeftOut) > 0) {
		t.Errorf("left out %d, trace %q", len(a.LeftOut), fitted)
	}
}
