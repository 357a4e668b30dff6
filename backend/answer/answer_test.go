package answer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// indexedVault is a lexical vault holding the folder src.
func indexedVault(t *testing.T, src string) *vault.Vault {
	t.Helper()
	v, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if _, err := v.Add(context.Background(), []string{src}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	return v
}

// toyVault indexes DragonMemory's toy set (docs.jsonl as one text file per
// document, titled by its first line) and returns its questions.
func toyVault(t *testing.T) (*vault.Vault, []toyQA) {
	t.Helper()
	dir := testdata.Shared(t, "datasets/toy_rag")
	src := t.TempDir()
	for _, line := range readLines(t, filepath.Join(dir, "docs.jsonl")) {
		var d struct{ DocID, Title, Text string }
		if err := json.Unmarshal([]byte(strings.Replace(line, `"doc_id"`, `"docid"`, 1)), &d); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(src, d.DocID+".md"), []byte("# "+d.Title+"\n\n"+d.Text+"\n"), 0o644)
	}
	v := indexedVault(t, src)
	var qs []toyQA
	for _, line := range readLines(t, filepath.Join(dir, "qa.jsonl")) {
		var q toyQA
		if err := json.Unmarshal([]byte(strings.Replace(line, `"doc_ids"`, `"docids"`, 1)), &q); err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	return v, qs
}

type toyQA struct {
	Question string
	Answers  []string
	DocIDs   []string
}

func readLines(t *testing.T, path string) []string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// With no language model, the answer is the passages' best sentences: it
// cites the gold document every time, and contains the gold answer's words
// verbatim where the document states them so (4 of the 6 questions; the
// other two gold answers paraphrase the text).
func TestExtractiveOnToySet(t *testing.T) {
	v, qs := toyVault(t)
	verbatim, citedAll := 0, true
	for _, q := range qs {
		a, err := v.Ask(context.Background(), q.Question, vault.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !a.Extractive || len(a.Citations) == 0 || !strings.Contains(a.Answer, "[1]") {
			t.Errorf("%q: %+v", q.Question, a)
			continue
		}
		hasAnswer, cited := false, false
		for _, ans := range q.Answers {
			hasAnswer = hasAnswer || strings.Contains(strings.ToLower(a.Answer), strings.ToLower(ans))
		}
		for _, c := range a.Citations {
			for _, d := range q.DocIDs {
				cited = cited || strings.HasSuffix(c.Path, d+".md")
			}
		}
		if hasAnswer {
			verbatim++
		}
		if !cited {
			citedAll = false
			t.Errorf("%q: gold document not cited: %+v", q.Question, a.Citations)
		}
	}
	if verbatim < 4 || !citedAll {
		t.Errorf("gold answer verbatim in %d of %d answers (want ≥ 4)", verbatim, len(qs))
	}
	a, err := v.Ask(context.Background(), "zebra migration quarterly revenue", vault.AskOptions{})
	if err != nil || !strings.HasPrefix(a.Answer, answer.NothingFound) || len(a.Citations) != 0 {
		t.Errorf("unanswerable: %+v %v", a, err)
	}
}

// Extractive answers know when the vault does not answer: questions on
// what the sample documents never say get "nothing", with the closest
// documents named; answerable ones are answered from the right document,
// each sentence once and no filler.
func TestExtractiveSaysWhenNothingAnswers(t *testing.T) {
	src := testdata.Shared(t, "samples/docs/unstructured")
	v := indexedVault(t, src)
	for _, c := range []struct {
		question string
		want     string // "" : nothing answers it
	}{
		{"What is the capital of France?", ""},
		{"Who wrote War and Peace?", ""},
		{"How tall is Mount Everest?", ""},
		{"Who painted the Mona Lisa?", ""},
		{"What is the speed of light?", ""},
		{"How many moons does Jupiter have?", ""},
		{"How many bottles of water were delivered?", "20,000 bottles of water"},
		{"When were the supplies delivered?", "January 23, 2023"},
	} {
		a, err := v.Ask(context.Background(), c.question, vault.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nothing := strings.HasPrefix(a.Answer, answer.NothingFound)
		switch {
		case c.want == "" && (!nothing || len(a.Citations) != 0):
			t.Errorf("%q is not answered by the samples, got %q", c.question, a.Answer)
		case c.want != "" && (nothing || !strings.Contains(a.Answer, c.want)):
			t.Errorf("%q: want %q in the answer, got %q", c.question, c.want, a.Answer)
		case c.want != "":
			seen := map[string]bool{}
			for _, s := range strings.Split(a.Answer, "] ") {
				if seen[s] {
					t.Errorf("%q: a sentence twice: %q", c.question, a.Answer)
				}
				seen[s] = true
			}
		}
	}
}

// With a language model (a local server speaking the OpenAI protocol), the
// answer is streamed and its [n] markers become citations; an unreachable
// server falls back to the extractive answer and says so in the trace.
func TestAnswerWithLLMAndFallback(t *testing.T) {
	v, _ := toyVault(t)
	var prompt string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []llm.Message `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		prompt = body.Messages[len(body.Messages)-1].Content
		w.Header().Set("Content-Type", "text/event-stream")
		for _, piece := range []string{"The boundary is the ", "event horizon [1]."} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]string{"content": piece}}}})
			io.WriteString(w, "data: "+string(b)+"\n\n")
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	var streamed strings.Builder
	q := "What is the name of the boundary around a black hole beyond which nothing can return?"
	a, err := v.Ask(context.Background(), q, vault.AskOptions{LLM: llm.NewOpenAI(llm.Options{BaseURL: srv.URL}), Model: "m",
		OnDelta: func(s string) error { streamed.WriteString(s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if a.Extractive || a.Answer != "The boundary is the event horizon [1]." || streamed.String() != a.Answer {
		t.Fatalf("answer %+v, streamed %q", a, streamed.String())
	}
	if len(a.Citations) != 1 || a.Citations[0].N != 1 || !strings.Contains(prompt, "[1] ") || !strings.Contains(prompt, q) {
		t.Fatalf("citations %+v; prompt %q", a.Citations, prompt)
	}
	if !strings.Contains(prompt, a.Citations[0].Title) {
		t.Errorf("citation [1] is %q, which the prompt did not number 1", a.Citations[0].Title)
	}
	down := llm.NewOpenAI(llm.Options{BaseURL: "http://127.0.0.1:1"})
	a, err = v.Ask(context.Background(), q, vault.AskOptions{LLM: down, Model: "m"})
	if err != nil || !a.Extractive || !strings.Contains(strings.ToLower(a.Answer), "event horizon") {
		t.Fatalf("fallback: %+v %v", a, err)
	}
	fell := false
	for _, s := range a.Trace {
		fell = fell || s.Step == "llm" && strings.Contains(s.Detail, "unavailable")
	}
	if !fell {
		t.Errorf("trace does not say the model was unavailable: %+v", a.Trace)
	}
}
