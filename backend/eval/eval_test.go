package eval

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

func TestLoaders(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "queries.jsonl")
	os.WriteFile(q, []byte(`{"_id":"1","text":"first"}`+"\n"+`{"_id":"2","text":"second"}`+"\n\n"), 0o644)
	for name, body := range map[string]string{
		"header":    "query-id\tcorpus-id\tscore\n2\td9\t1\n",
		"no header": "2\td9\t1\n",
	} {
		qr := filepath.Join(dir, "qrels.tsv")
		os.WriteFile(qr, []byte(body), 0o644)
		got, err := LoadQueries(q, qr)
		if err != nil || len(got) != 1 || got[0].ID != "2" || got[0].Text != "second" {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	all, err := LoadQueries(q, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("all queries: %+v %v", all, err)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct{ p, want float64 }{{50, 50}, {95, 95}, {99, 99}, {100, 100}} {
		if got := Percentile(d, tc.p); got != tc.want {
			t.Errorf("p%.0f = %v, want %v", tc.p, got, tc.want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}

func TestScore(t *testing.T) {
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	cases := []struct {
		name   string
		ranked []string
		rel    map[string]int
		ndcg   float64
		r2, r5 float64
		mrr    float64
		hit1   float64
	}{
		{"perfect", []string{"a", "b", "x"}, map[string]int{"a": 1, "b": 1}, 1, 1, 1, 1, 1},
		{"second", []string{"x", "a"}, map[string]int{"a": 1}, 1 / math.Log2(3), 1, 1, 0.5, 0},
		{"missing", []string{"x", "y"}, map[string]int{"a": 1}, 0, 0, 0, 0, 0},
		{"one of two at 3", []string{"x", "y", "a"}, map[string]int{"a": 1, "b": 1}, (1 / math.Log2(4)) / (1 + 1/math.Log2(3)), 0, 0.5, 1.0 / 3, 0},
		{"graded", []string{"b", "a"}, map[string]int{"a": 2, "b": 1}, (1 + 2/math.Log2(3)) / (2 + 1/math.Log2(3)), 1, 1, 1, 1},
		{"zero grade is not relevant", []string{"a"}, map[string]int{"a": 0, "b": 1}, 0, 0, 0, 0, 0},
	}
	for _, tc := range cases {
		m := Score(tc.ranked, tc.rel)
		if !near(m.NDCG10, tc.ndcg) || !near(m.Recall2, tc.r2) || !near(m.Recall5, tc.r5) || !near(m.MRR10, tc.mrr) || !near(m.Hit1, tc.hit1) {
			t.Errorf("%s: got ndcg %.4f r2 %.2f r5 %.2f mrr %.3f hit1 %.0f", tc.name, m.NDCG10, m.Recall2, m.Recall5, m.MRR10, m.Hit1)
		}
	}
}

func TestRetrievalToy(t *testing.T) {
	ds, err := LoadDataset(testdata.Shared(t, "datasets/toy_rag"), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	r, err := Retrieval(context.Background(), ds, RetrievalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !ds.Toy || r.Queries == 0 || r.Docs == 0 {
		t.Fatalf("toy run: %+v", r)
	}
	// A handful of documents and questions: every answer must be in the top 3.
	if r.Hit3 < 1 || r.Hit1 < 0.8 {
		t.Fatalf("toy retrieval: hit@1 %.2f hit@3 %.2f", r.Hit1, r.Hit3)
	}
}

// The vector benchmark on a small store: binary shortlist + int8 rescore
// finds what exact float search finds on clustered vectors.
func TestVectorsBenchSmall(t *testing.T) {
	rep, err := Vectors(context.Background(), VectorOptions{N: 3000, Dims: 64, Queries: 10, Clustered: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RecallAt10 < 0.9 || rep.Int8Recall < 0.9 {
		t.Errorf("recall@10: binary+rescore %.3f, int8 %.3f", rep.RecallAt10, rep.Int8Recall)
	}
	if rep.FloatP50 <= 0 || rep.BinaryP50 <= 0 || rep.HybridP50 <= 0 || rep.DBBytes == 0 {
		t.Errorf("report %+v", rep)
	}
}

// The answer benchmark on a tiny BEIR set whose queries carry answers.
func TestAnswersBench(t *testing.T) {
	ds := beirSet(t, `{"_id":"d1","title":"Mount Tarn","text":"Mount Tarn is 2,310 metres high. It was first climbed in 1921."}
{"_id":"d2","title":"Lake Orr","text":"Lake Orr lies south of Mount Tarn and freezes every winter."}
`, `{"_id":"q1","text":"When was Mount Tarn first climbed?","metadata":{"answer":"1921"}}
{"_id":"q2","text":"How high is Mount Tarn?","metadata":{"answer":["2,310 metres"]}}
{"_id":"q3","text":"Who painted the Lake Orr mural?","metadata":{"answer":"Ada Quill"}}
`, "q1\td1\t1\nq2\td1\t1\nq3\td2\t1\n")
	r, err := Answers(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	// q1 and q2 are answered from the text; q3's answer is nowhere.
	if r.Questions != 3 || math.Abs(r.InAnswer-2.0/3) > 1e-9 || math.Abs(r.InCitations-2.0/3) > 1e-9 || r.P50ms <= 0 {
		t.Errorf("report %+v", r)
	}
}

// The PostgreSQL manual Debian ships (postgresql-doc-15) becomes a
// benchmark by its own index: concept terms are queries, their pages the
// judgments; identifiers and settings stay out.
func TestBookIndexJudgments(t *testing.T) {
	dir := "/usr/share/doc/postgresql-doc-15/html"
	if _, err := os.Stat(filepath.Join(dir, "bookindex.html")); err != nil {
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatalf("the PostgreSQL manual is missing (apt install postgresql-doc-15; make setup installs it): %v", err)
		}
		t.Skipf("the PostgreSQL manual is not installed (apt install postgresql-doc-15): %v", err)
	}
	ds, err := LoadDataset(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "postgresql-doc-15" || !ds.Pages || len(ds.Queries) != 198 {
		t.Fatalf("dataset %s, pages %v, %d queries; want postgresql-doc-15 with 198", ds.Name, ds.Pages, len(ds.Queries))
	}
	byText := map[string]map[string]int{}
	for _, q := range ds.Queries {
		byText[q.Text] = ds.Qrels[q.ID]
	}
	fk := byText["foreign key"]
	if len(fk) != 2 || fk["tutorial-fk.html"] != 1 || fk["ddl-constraints.html"] != 1 {
		t.Errorf("foreign key judged %v, want tutorial-fk.html and ddl-constraints.html (sub-entries and anchors left out)", fk)
	}
	for _, out := range []string{"pg_dump", "fsync configuration parameter", "AIX"} {
		if _, ok := byText[out]; ok {
			t.Errorf("%q was taken as a concept query", out)
		}
	}
}

// The hand-written questions about real documents (the shared samples and
// the PostgreSQL manual), answered extractively on a lexical vault: the
// gold answer is in most answers, from the right document, and what the
// documents never say gets "nothing found".
func TestRealQuestions(t *testing.T) {
	shared := testdata.Shared(t, ".")
	dir := "/usr/share/doc/postgresql-doc-15/html"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatalf("the PostgreSQL manual is missing (apt install postgresql-doc-15; make setup installs it): %v", err)
		}
		t.Skipf("the PostgreSQL manual is not installed (apt install postgresql-doc-15): %v", err)
	}
	qs, err := LoadQuestions(filepath.Join("testdata", "real-questions.json"), shared)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs.Questions) != 30 {
		t.Fatalf("%d questions, want the 30 written down", len(qs.Questions))
	}
	r, err := AskQuestions(context.Background(), qs, "none", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Results {
		if !res.Right {
			t.Logf("miss: %s\n  %s", res.Q, res.Answer)
		}
	}
	// Measured 0.682 / 0.864 / 1.000 (8 of 8) with none wrongly "nothing";
	// the bars are 0.6 and 0.9 (with 8 questions, all of them).
	if r.Answerable != 22 || r.Unanswerable != 8 || r.Contained < 0.68 || r.Cited < 0.85 || r.NothingRight < 0.9 || r.Refused > 0.05 {
		t.Errorf("gold answer in %.3f of the answers (want ≥ 0.68), source cited %.3f (≥ 0.85), nothing found for %.3f of the unanswerable (≥ 0.9), %.3f of the answerable wrongly (≤ 0.05)",
			r.Contained, r.Cited, r.NothingRight, r.Refused)
	}
}

// The export a peer engine searches: every vector with its id, the queries
// and their exact top 10, which brute force over the exported vectors must
// reproduce; and a second run on the same database asks the same queries.
func TestVectorsBenchExport(t *testing.T) {
	ctx := context.Background()
	dir, out, again := t.TempDir(), t.TempDir(), t.TempDir()
	const n, dims, nq = 1200, 32, 6
	for _, clustered := range []bool{false, true} {
		db := filepath.Join(dir, map[bool]string{false: "uniform", true: "clustered"}[clustered])
		if err := os.MkdirAll(db, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, exp := range []string{out, again} {
			if _, err := Vectors(ctx, VectorOptions{N: n, Dims: dims, Queries: nq, Clustered: clustered, Dir: db, Export: exp}); err != nil {
				t.Fatal(err)
			}
		}
		read := func(dir, name string, size int) []byte {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != size {
				t.Fatalf("%s: %d bytes, want %d", name, len(b), size)
			}
			return b
		}
		vecs := read(out, "vectors.f32", 4*n*dims)
		ids := read(out, "ids.i64", 8*n)
		qs := read(out, "queries.f32", 4*nq*dims)
		truth := read(out, "truth.i64", 8*nq*10)
		if string(read(again, "queries.f32", 4*nq*dims)) != string(qs) {
			t.Errorf("clustered %v: the second run on the same database asked other queries", clustered)
		}
		f32 := func(b []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }
		for q := range nq {
			scores := make([]float64, n)
			order := make([]int, n)
			for r := range n {
				var s float64
				for j := range dims {
					s += float64(f32(qs, q*dims+j)) * float64(f32(vecs, r*dims+j))
				}
				scores[r], order[r] = s, r
			}
			sort.Slice(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
			want := map[int64]bool{}
			for _, r := range order[:10] {
				want[int64(binary.LittleEndian.Uint64(ids[8*r:]))] = true
			}
			hit := 0
			for j := range 10 {
				if want[int64(binary.LittleEndian.Uint64(truth[8*(q*10+j):]))] {
					hit++
				}
			}
			if hit < 9 { // near ties may fall either way in float32
				t.Errorf("clustered %v, query %d: %d of the exported top 10 are the brute-force top 10", clustered, q, hit)
			}
		}
	}
}
