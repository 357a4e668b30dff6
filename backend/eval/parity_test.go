package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// smallSciFact writes a BEIR folder of the first n judged SciFact test
// queries, the documents they judge and the first extra others.
func smallSciFact(t *testing.T, n, extra int) string {
	t.Helper()
	src := testdata.Shared(t, "datasets/scifact")
	qrels, err := LoadQrels(filepath.Join(src, "qrels", "test.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := LoadQueries(filepath.Join(src, "queries.jsonl"), filepath.Join(src, "qrels", "test.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "qrels"), 0o755)
	want := map[string]bool{}
	var qlines, rlines []string
	rlines = append(rlines, "query-id\tcorpus-id\tscore")
	for _, q := range qs[:n] {
		raw, _ := json.Marshal(map[string]string{"_id": q.ID, "text": q.Text})
		qlines = append(qlines, string(raw))
		for d, g := range qrels[q.ID] {
			want[d] = true
			rlines = append(rlines, q.ID+"\t"+d+"\t"+string(rune('0'+g)))
		}
	}
	f, err := os.Open(filepath.Join(src, "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var clines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var d struct {
			ID string `json:"_id"`
		}
		json.Unmarshal(sc.Bytes(), &d)
		if want[d.ID] || extra > 0 {
			if !want[d.ID] {
				extra--
			}
			clines = append(clines, sc.Text())
		}
	}
	for name, lines := range map[string][]string{"queries.jsonl": qlines, "corpus.jsonl": clines, "qrels/test.tsv": rlines} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The reference-protocol score on a small SciFact slice: real vectors rank
// the judged abstracts at the top among 300 others (0.95 measured).
func TestDenseParityRanksRealAbstracts(t *testing.T) {
	dir := testdata.Model(t, "bge-small-en-v1.5-int8")
	ds, err := LoadDataset(smallSciFact(t, 40, 300), "test")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := DenseParity(context.Background(), ds, ParityOptions{Models: filepath.Dir(dir), Name: "bge-small-en-v1.5-int8"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d queries over %d abstracts: NDCG@10 %.4f, recall@100 %.4f", rep.Queries, rep.Docs, rep.NDCG10, rep.Recall100)
	if rep.Queries != 40 || rep.Docs < 340 {
		t.Fatalf("scored %d queries over %d documents", rep.Queries, rep.Docs)
	}
	if rep.NDCG10 < 0.9 {
		t.Errorf("NDCG@10 %.4f: real bge vectors rank SciFact's judged abstracts far higher", rep.NDCG10)
	}
	if _, err := DenseParity(context.Background(), ds, ParityOptions{Models: filepath.Dir(dir), Name: "silero-vad"}); err == nil {
		t.Error("a VAD model was scored as an embedder")
	}
}
