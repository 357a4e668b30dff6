package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/llm"
)

// hoard bench llm on small sets, with the real runner and test model: the
// five sets are built from both sources, questions about what a vault does
// not hold get "not in your vault" on both paths, the runner's speed is
// measured, and every marker left after the check points at a passage
// given. (The orphan test is TestBuiltinDiesWithHoard's, in backend/llm.)
func TestLLMBench(t *testing.T) {
	server, gguf := testdata.Runner(t)
	ds := beirSet(t, `{"_id":"d1","title":"Mount Tarn","text":"Mount Tarn is 2,310 metres high. It was first climbed in 1921 by Ada Quill."}
{"_id":"d2","title":"Lake Orr","text":"Lake Orr lies south of Mount Tarn and freezes every winter."}
`, `{"_id":"q1","text":"When was Mount Tarn first climbed?","metadata":{"answer":"1921"}}
{"_id":"q2","text":"Which lake lies south of Mount Tarn?","metadata":{"answer":"Lake Orr"}}
`, "q1\td1\t1\nq2\td2\t1\n")
	docs := t.TempDir()
	os.WriteFile(filepath.Join(docs, "memo.md"), []byte("# Delivery memo\n\nThere were 20,000 bottles of water and 200 laptops delivered on January 23, 2023 by three trucks.\n"), 0o644)
	qs := &QuestionSet{Folders: []string{docs}, Questions: []Question{
		{Q: "How many bottles of water were delivered?", Answers: []string{"20,000"}, Source: "memo.md"},
		{Q: "Who painted the Mona Lisa?"},
	}}
	r, err := LLM(context.Background(), LLMOptions{Wiki: ds, Questions: qs, Server: server, Threads: 2,
		Model: llm.BuiltinModel{Name: testdata.ChatModel, Path: gguf, Context: 2048}, Generated: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sets) != 5 {
		t.Fatalf("%d sets", len(r.Sets))
	}
	for _, s := range r.Sets {
		if s.Extractive == 0 || s.Generated != 1 || s.Markers-s.Removed != s.Valid {
			t.Errorf("%s: %+v", s.Name, s)
		}
		if !s.Answerable && (s.ExtractiveNIV != s.Extractive || s.GeneratedNIV != s.Generated) {
			t.Errorf("%s: answered what the vault does not hold: %+v", s.Name, s)
		}
	}
	if r.Answers == 0 || r.TTFTms <= 0 || r.PromptPerSec <= 0 || r.Passages < 1 {
		t.Errorf("speed: %+v", r)
	}
	if r.NotInVaultExt != 1 || r.NotInVaultGen != 1 {
		t.Errorf("not in vault %.2f / %.2f", r.NotInVaultExt, r.NotInVaultGen)
	}
}

// beirSet writes a small BEIR dataset (corpus, queries, qrels lines) and
// loads it.
func beirSet(t *testing.T, corpus, queries, qrels string) *Dataset {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "qrels"), 0o755)
	os.WriteFile(filepath.Join(dir, "corpus.jsonl"), []byte(corpus), 0o644)
	os.WriteFile(filepath.Join(dir, "queries.jsonl"), []byte(queries), 0o644)
	os.WriteFile(filepath.Join(dir, "qrels", "test.tsv"), []byte("query-id\tcorpus-id\tscore\n"+qrels), 0o644)
	ds, err := LoadDataset(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
