package postings_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/postings"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

// ingest adds the files to a fresh vault lexically and opens its store a
// second time, as search reads it.
func ingest(t *testing.T, paths ...string) (*store.Store, *vault.Vault) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	v, err := vault.Open(ctx, dir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	sum, err := v.Add(ctx, paths, vault.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed == 0 {
		t.Fatal("nothing indexed")
	}
	st, err := store.Open(ctx, filepath.Join(dir, vault.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, v
}

// built is an index over st, built.
func built(t *testing.T, st *store.Store) *postings.Index {
	t.Helper()
	x := postings.New(st.SearchView(), nil)
	x.Settle = 0
	t.Cleanup(x.Close)
	x.Start()
	if err := x.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	return x
}

// sampleQueries draws n queries of two to five words from the text, some
// capitalized, some with a word to leave out.
func sampleQueries(text string, n int) []string {
	words := strings.Fields(text)
	r := rand.New(rand.NewPCG(1, 2))
	var out []string
	for range n {
		k := 2 + r.IntN(4)
		var q []string
		for range k {
			w := words[r.IntN(len(words))]
			if r.IntN(5) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			q = append(q, w)
		}
		if r.IntN(8) == 0 {
			q = append(q, "-"+words[r.IntN(len(words))])
		}
		out = append(out, strings.Join(q, " "))
	}
	return out
}

// realSet is real text to index and queries to ask of it.
type realSet struct {
	name string
	load func(t *testing.T) (paths, queries []string)
}

// realSets are the project's documentation, with n queries drawn from it
// and the extra ones, and SciFact's abstracts and claims from ../shared
// (skipped, or failed under HOARD_REQUIRE_SHARED=1, without it).
func realSets(n int, extra ...string) []realSet {
	return []realSet{
		{"docs", func(t *testing.T) ([]string, []string) {
			docs := filepath.Join(testdata.Root(), "docs")
			var text strings.Builder
			entries, _ := os.ReadDir(docs)
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(docs, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				text.Write(b)
			}
			return []string{docs}, append(sampleQueries(text.String(), n), extra...)
		}},
		{"scifact", func(t *testing.T) ([]string, []string) {
			dir := testdata.Shared(t, filepath.Join("datasets", "scifact"))
			f, err := os.Open(filepath.Join(dir, "queries.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out []string
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var q struct{ Text string }
				if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
					t.Fatal(err)
				}
				out = append(out, q.Text)
			}
			return []string{filepath.Join(dir, "corpus.jsonl")}, out
		}},
	}
}

// TestTopMatchesFTS5 compares the in-memory top 100 with FTS5's for the
// same query, row for row and score for score, on real text: the
// project's documentation, and SciFact's abstracts and claims when
// $SHARED holds them. Most queries must be answered from memory. Each
// query word and pair of words is counted (Count) as FTS5 counts it.
func TestTopMatchesFTS5(t *testing.T) {
	for _, tc := range realSets(300, "vector index sidecar", "Bleve -ingest", "crash mid ingest", "hoard.vectors stamp", `"sign bits" index`, `"the vector index" -"sign bits"`) {
		t.Run(tc.name, func(t *testing.T) {
			paths, queries := tc.load(t)
			ctx := context.Background()
			st, _ := ingest(t, paths...)
			x := built(t, st)
			sv := st.SearchView()
			w := [3]float64{2, 1.5, 1}
			answered, counted := 0, 0
			for _, text := range queries {
				q := search.Parse(search.Normalize(text))
				if q.Empty() || len(q.Prefixes) > 0 {
					continue
				}
				terms := append(append([]string(nil), q.Terms...), q.Phrases...)
				got, ok, err := x.Search(ctx, postings.Query{Terms: terms, Excluded: q.Excluded, Weights: w}, 100)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					continue
				}
				answered++
				want, err := sv.MatchChunks(ctx, q.FTS(), w, store.ChunkFilter{}, 100)
				if err != nil {
					t.Fatal(err)
				}
				sameTop(t, text, got, want)
				// Each word's and each pair's count of rows, as FTS5 counts them.
				var phrases []string
				for i, term := range terms {
					phrases = append(phrases, term)
					if i+1 < len(terms) {
						phrases = append(phrases, term+" "+terms[i+1])
					}
				}
				for _, ph := range phrases {
					n, ok, err := x.Count(ctx, ph)
					if err != nil || !ok {
						t.Fatalf("count %q: %v, %v", ph, ok, err)
					}
					fts, err := sv.CountMatches(ctx, `"`+strings.ReplaceAll(ph, `"`, `""`)+`"`)
					if err != nil {
						t.Fatal(err)
					}
					if n != fts {
						t.Errorf("%q: counted %d rows, FTS5 %d", ph, n, fts)
					}
					counted++
				}
			}
			if answered < len(queries)*3/4 {
				t.Errorf("answered %d of %d queries from memory, want at least three quarters", answered, len(queries))
			}
			t.Logf("%s: %d of %d queries from memory, %d words and pairs counted; %+v", tc.name, answered, len(queries), counted, x.Stats())
		})
	}
}

// sameTop fails unless got and want hold the same rows in the same order
// with the same scores; rows tied with others (within rounding) may swap.
func sameTop(t *testing.T, query string, got, want []store.Match) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%q: %d matches, FTS5 %d", query, len(got), len(want))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.BM25-w.BM25) > 1e-9*math.Abs(w.BM25) {
			t.Errorf("%q: rank %d scores %v, FTS5 %v (chunk %d, FTS5 chunk %d)", query, i+1, g.BM25, w.BM25, g.ID, w.ID)
			return
		}
		if g.ID != w.ID && !tied(want, w.BM25, g.ID) {
			t.Errorf("%q: rank %d is chunk %d, FTS5 has chunk %d (score %v)", query, i+1, g.ID, w.ID, w.BM25)
			return
		}
	}
}

// tied reports whether FTS5's list holds id at (nearly) the score.
func tied(ms []store.Match, score float64, id int64) bool {
	for _, m := range ms {
		if m.ID == id && math.Abs(m.BM25-score) <= 1e-9*math.Abs(score) {
			return true
		}
	}
	return false
}

// TestFollowsWrites: a document added after the build makes the index
// step aside (FTS5 answers) and build again; then it answers with the new
// document among its rows. A read-only store can be indexed too.
func TestFollowsWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := filepath.Join(dir, "first.md")
	if err := os.WriteFile(first, []byte("# Sourdough\n\nA starter of flour and water ferments for days.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, v := ingest(t, first)
	x := built(t, st)
	// One that waits for the store to settle longer than the test runs.
	patient := built(t, st)
	patient.Settle = time.Hour
	q := postings.Query{Terms: []string{"ferments"}, Weights: [3]float64{2, 1.5, 1}}
	got, ok, err := x.Search(ctx, q, 10)
	if err != nil || !ok || len(got) != 1 {
		t.Fatalf("before the write: %v, ok %v, %v; want one match from memory", got, ok, err)
	}
	// A query's view stays on the snapshot at the stamp it read.
	before, err := st.SearchView().LexicalStamp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	view := x.At(before)
	second := filepath.Join(dir, "second.md")
	if err := os.WriteFile(second, []byte("# Kombucha\n\nTea with sugar ferments under a cloth.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{second}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := x.Search(ctx, q, 10); err != nil || ok {
		t.Fatalf("after the write: ok %v, %v; want FTS5 to answer while the index is behind", ok, err)
	}
	if got, ok, err := view.Search(ctx, q, 10); err != nil || !ok || len(got) != 1 {
		t.Errorf("the view from before the write: %v, ok %v, %v; want its one match", got, ok, err)
	}
	if n, ok, err := view.Count(ctx, "ferments"); err != nil || !ok || n != 1 {
		t.Errorf("the view's count: %d, ok %v, %v; want 1", n, ok, err)
	}
	after, err := st.SearchView().LexicalStamp(ctx)
	if err != nil || after == before {
		t.Fatalf("the stamp did not move with the write (%v)", err)
	}
	if _, ok, _ := x.At(after).Search(ctx, q, 10); ok {
		t.Error("a view at the new stamp answered from the old snapshot")
	}
	if err := x.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := patient.Search(ctx, q, 10); err != nil || ok {
		t.Fatalf("patient index after the write: ok %v, %v; want FTS5 to answer", ok, err)
	}
	if err := patient.Wait(ctx); err != nil || patient.Stats().Builds != 1 {
		t.Errorf("patient index: %d builds (%v), want 1 until the store settles", patient.Stats().Builds, err)
	}
	got, ok, err = x.Search(ctx, q, 10)
	if err != nil || !ok || len(got) != 2 {
		t.Fatalf("after the rebuild: %v, ok %v, %v; want two matches from memory", got, ok, err)
	}
	if n := x.Stats().Builds; n != 2 {
		t.Errorf("%d builds, want 2", n)
	}
	// A word the text never spells: FTS5 is asked how it is spelled
	// ("fermented" is stemmed as "ferments" is), or that it matches nothing.
	for _, tc := range []struct {
		word string
		want int
	}{{"fermented", 2}, {"Fermenting", 2}, {"zzyzx", 0}} {
		got, ok, err := x.Search(ctx, postings.Query{Terms: []string{tc.word}, Weights: q.Weights}, 10)
		if err != nil || !ok || len(got) != tc.want {
			t.Errorf("%s: %v, ok %v, %v; want %d matches from memory", tc.word, got, ok, err, tc.want)
		}
	}
	// Several such words in one query are asked of FTS5 together.
	if got, ok, err := x.Search(ctx, postings.Query{Terms: []string{"fermenter", "zzyzy", "Cloths"}, Weights: q.Weights}, 10); err != nil || !ok || len(got) != 2 {
		t.Errorf("three new words: %v, ok %v, %v; want 2 matches from memory", got, ok, err)
	}
	ro, err := store.OpenReadOnly(ctx, filepath.Join(v.Dir(), vault.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := built(t, ro).Stats(); got.Rows != x.Stats().Rows {
		t.Errorf("read-only store: %d rows indexed, want %d", got.Rows, x.Stats().Rows)
	}
}

// TestKeptRowsRankAsTheirText: a vault whose postings keep every row's
// words numbered (search.Forward) ranks, scores and cuts snippets exactly
// as a searcher that reads and splits each candidate's text, on the
// project's documentation and on SciFact's claims when $SHARED holds
// them.
func TestKeptRowsRankAsTheirText(t *testing.T) {
	for _, tc := range realSets(200) {
		t.Run(tc.name, func(t *testing.T) { keptRowsRankAsText(t, tc) })
	}
}

func keptRowsRankAsText(t *testing.T, set realSet) {
	paths, queries := set.load(t)
	ctx := context.Background()
	st, v := ingest(t, paths...)
	if err := v.WarmLexical(ctx); err != nil {
		t.Fatal(err)
	}
	if ls := v.LexicalStats(); ls.Kept != ls.Rows || ls.Rows == 0 {
		t.Fatalf("%d rows kept of %d", ls.Kept, ls.Rows)
	}
	plain := search.New(st.SearchView()) // FTS5, and each candidate's text split
	differ := 0
	for _, q := range queries {
		want, err := plain.Search(ctx, search.Request{Query: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Search(ctx, search.Request{Query: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		// Every field of every hit: the rows kept with the postings give
		// what the store's rows give (path, page, collection, text…).
		same := len(got) == len(want)
		for i := 0; same && i < len(got); i++ {
			g, w := got[i], want[i]
			same = math.Abs(g.Score-w.Score) <= 1e-9*math.Max(1, math.Abs(w.Score))
			g.Score = w.Score
			same = same && reflect.DeepEqual(g, w)
		}
		if !same {
			if differ++; differ <= 3 {
				t.Errorf("%q: kept rows gave %d hits, first %v; their text %d, first %v", q, len(got), first(got), len(want), first(want))
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d queries ranked otherwise", differ, len(queries))
	}
}

func first(h []search.Hit) string {
	if len(h) == 0 {
		return "none"
	}
	return fmt.Sprintf("chunk %d score %.6f", h[0].ChunkID, h[0].Score)
}

// TestKeepEveryRow: Keep sees every row once, in order, and a build of an
// empty store (whose reading ends before Keep's goroutine starts) ends.
func TestKeepEveryRow(t *testing.T) {
	ctx := context.Background()
	empty, err := store.Open(ctx, filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	dir := t.TempDir()
	for i := range 3 {
		writeDoc(t, filepath.Join(dir, fmt.Sprintf("d%d.md", i)), fmt.Sprintf("# Doc %d\n\nWords of document %d.\n", i, i))
	}
	full, _ := ingest(t, dir)
	for _, tc := range []struct {
		name string
		st   *store.Store
		rows int
	}{{"empty", empty, 0}, {"three documents", full, 3}} {
		for range 20 {
			x := postings.New(tc.st.SearchView(), nil)
			var seen []int64
			x.Keep = func(r store.LexicalRow) (any, int) { seen = append(seen, r.ChunkID); return r.ChunkID, 8 }
			x.Start()
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := x.Wait(wctx)
			cancel()
			x.Close()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(seen) != tc.rows || !slices.IsSorted(seen) || x.Stats().Kept != tc.rows {
				t.Fatalf("%s: kept %v (%d in the stats), want %d rows in order", tc.name, seen, x.Stats().Kept, tc.rows)
			}
		}
	}
}

func writeDoc(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
