package search

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/store"
)

func TestWithStages(t *testing.T) {
	cases := []struct {
		spec string
		want string
		err  bool
	}{
		{"", "normalize,rescore,proximity,dense,multihop,rerank,dedupe,pools,decay", false},
		{"-multihop,+prf,+mmr", "normalize,rescore,proximity,prf,dense,rerank,mmr,dedupe,pools,decay", false},
		{"none", "", false},
		{"prf,mmr", "prf,mmr", false},
		{"-all", "", false},
		{"rrf_k=30,convex=0.4", "normalize,rescore,proximity,dense,multihop,rerank,dedupe,pools,decay", false},
		{"rrf_k=-1", "", true},
		{"speed=3", "", true},
		{"-keyword", "normalize,-keyword,rescore,proximity,dense,multihop,rerank,dedupe,pools,decay", false},
		{"bogus", "", true},
	}
	for _, tc := range cases {
		o, err := DefaultOptions().WithStages(tc.spec)
		if (err != nil) != tc.err {
			t.Fatalf("%q: err %v", tc.spec, err)
		}
		if err == nil && strings.Join(o.Enabled(), ",") != tc.want {
			t.Errorf("%q: %v, want %s", tc.spec, o.Enabled(), tc.want)
		}
	}
}

func TestFuse(t *testing.T) {
	a := []Candidate{{ChunkID: 1}, {ChunkID: 2}, {ChunkID: 3}}
	b := []Candidate{{ChunkID: 3}, {ChunkID: 4}}
	got := fuse([]ranked{{weight: 1, cands: a}, {weight: 1, cands: b}}, 60)
	var ids []int64
	for _, c := range got {
		ids = append(ids, c.ChunkID)
	}
	// 3 is in both lists: 1/63 + 1/61 beats 1/61 alone.
	if fmt.Sprint(ids) != "[3 1 2 4]" {
		t.Fatalf("fused order %v", ids)
	}
	if want := 1.0/63 + 1.0/61; got[0].Score < want-1e-12 || got[0].Score > want+1e-12 {
		t.Fatalf("score %v, want %v", got[0].Score, want)
	}
	// A weight of zero leaves the first list's order.
	got = fuse([]ranked{{weight: 1, cands: a}, {weight: 0, cands: b}}, 60)
	if got[0].ChunkID != 1 {
		t.Fatalf("zero-weight list changed the order: %v", got)
	}
}

func TestGate(t *testing.T) {
	mk := func(scores ...float64) []Candidate {
		var c []Candidate
		for _, s := range scores {
			c = append(c, Candidate{Score: s})
		}
		return c
	}
	cases := []struct {
		name   string
		scores []float64
		open   bool
	}{
		{"decisive leader", []float64{1, 0.3, 0.2, 0.2, 0.1}, false},
		{"flat", []float64{1, 1, 1, 0.995, 0.99}, false},
		{"uncertain", []float64{1, 0.9, 0.85, 0.8, 0.7}, true},
	}
	for _, tc := range cases {
		if got := gateOpen(mk(tc.scores...), 0.5, 0.02); got != tc.open {
			t.Errorf("%s: gate open %v, want %v", tc.name, got, tc.open)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"hey, can you tell me what the budget for 2024 was? thanks!": "what the budget for 2024 was",
		"> quoted line\n> another":                                   "quoted line another",
		"What do my notes say about sourdough?":                      "sourdough",
		"please":                                                     "please",
		"photosynthesis":                                             "photosynthesis",
		"search path":                                                "search path",
		"search for sourdough":                                       "sourdough",
		"find sourdough recipes":                                     "sourdough recipes",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDedupe(t *testing.T) {
	var sb strings.Builder
	for i := range 120 {
		fmt.Fprintf(&sb, "word%d ", i)
	}
	text := sb.String()
	c := []Candidate{
		{ChunkID: 1, info: &chunkInfo{SearchChunk: store.SearchChunk{DocID: 1, Text: store.PlainText(text)}}},
		{ChunkID: 2, info: &chunkInfo{SearchChunk: store.SearchChunk{DocID: 2, Text: store.PlainText(text + " indeed")}}},
		{ChunkID: 3, info: &chunkInfo{SearchChunk: store.SearchChunk{DocID: 3, Text: store.PlainText("an entirely different passage about sailing boats and weather")}}},
		{ChunkID: 4, info: &chunkInfo{SearchChunk: store.SearchChunk{DocID: 1, Text: store.PlainText(text)}}}, // same document: kept for per-document logic
	}
	got := dedupe(c, 3)
	var ids []int64
	for _, x := range got {
		ids = append(ids, x.ChunkID)
	}
	if fmt.Sprint(ids) != "[1 3 4]" {
		t.Fatalf("dedupe kept %v", ids)
	}
}

// lengthReranker prefers longer passages: enough to see the slot reorder.
type lengthReranker struct{ calls int }

func (r *lengthReranker) Rerank(_ context.Context, _ string, passages []string) ([]float64, error) {
	r.calls++
	out := make([]float64, len(passages))
	for i, p := range passages {
		out[i] = float64(len(p))
	}
	return out, nil
}

// vaultDB builds a small vault through the store, as ingestion would.
func vaultDB(t *testing.T, docs map[string]string) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for title, text := range docs {
		var refs []store.EntityRef
		for _, r := range entity.Find(title, nil, text) {
			refs = append(refs, store.EntityRef{Name: r.Name, Kind: r.Kind})
		}
		_, _, err := s.Index(ctx, "", store.Source{Path: "/" + title}, store.Content{
			Hash: title, Title: title, Text: text, MediaType: "text/plain",
			Chunks: []store.Chunk{{Text: text, CharEnd: len([]rune(text)), Entities: refs}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// hopVault answers "When did Lothar Second's mother die?" only through a
// hop: the answer's passage does not name Lothar.
func hopVault(t *testing.T) *store.Store {
	return vaultDB(t, map[string]string{
		"Lothar Second":   "Lothar Second was a king. His mother was Ermina Tourelle, and he ruled a small realm.",
		"Ermina Tourelle": "Ermina Tourelle died on 20 March 851 in a convent.",
		"Unrelated Topic": "Gardening advice about tomatoes and the weather in spring.",
		"Another King":    "Another king ruled elsewhere and had no famous mother.",
	})
}

func TestMultiHopAndRerankSlot(t *testing.T) {
	s := hopVault(t)
	ctx := context.Background()
	opt, _ := DefaultOptions().WithStages("-multihop")
	plain, err := NewWithOptions(s.SearchView(), opt).Search(ctx, Request{Query: "When did Lothar Second's mother die?", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	hop, err := New(s.SearchView()).Search(ctx, Request{Query: "When did Lothar Second's mother die?", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	rank := func(hits []Hit, title string) (int, string) {
		for i, h := range hits {
			if h.Title == title {
				return i, h.Via
			}
		}
		return -1, ""
	}
	// "die" does not match "died" (Porter stems them apart): only the hop
	// through the first passage's mention finds the answer.
	if r, _ := rank(plain, "Ermina Tourelle"); r >= 0 {
		t.Fatalf("plain search found the bridge by itself: %v", titles(plain))
	}
	if r, _ := rank(hop, "Ermina Tourelle"); r < 0 || r > 2 {
		t.Fatalf("multi-hop should bring the bridge document into the top three: %v", titles(hop))
	}
	if _, via := rank(hop, "Ermina Tourelle"); !strings.Contains(via, "Lothar Second → ermina tourelle") {
		t.Errorf("hop reason %q", via)
	}
	rr := &lengthReranker{}
	opt = DefaultOptions()
	opt.Reranker = rr
	opt.RerankDecisive, opt.RerankFlat = 10, -1 // always open
	got, err := NewWithOptions(s.SearchView(), opt).Search(ctx, Request{Query: "mother king", Limit: 5})
	if err != nil || rr.calls != 1 {
		t.Fatalf("reranker calls %d, err %v", rr.calls, err)
	}
	for i := 1; i < len(got); i++ {
		if len(got[i].Text) > len(got[i-1].Text) {
			t.Fatalf("reranked order ignores the reranker: %v", titles(got))
		}
	}
}

// A hop follows proper names only: a title such as "T cell activation"
// named in running text ("T cell activation" starts with a capital letter,
// but "cell" does not) is a topic, not a bridge; "Methods and Results" is
// document structure.
func TestHopsFollowProperNames(t *testing.T) {
	s := vaultDB(t, map[string]string{
		"Receptor signalling": "Receptor signalling drives T cell activation. METHODS AND RESULTS are reported for Marla Quince.",
		"T cell activation":   "A review of lymphocyte priming.",
		"Methods and Results": "A structured abstract heading.",
		"Marla Quince":        "A researcher from Ghent.",
	})
	hits, err := New(s.SearchView()).Search(context.Background(), Request{Query: "receptor signalling", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range hits {
		got[h.Title] = h.Via
	}
	if _, ok := got["T cell activation"]; ok {
		t.Errorf("a topic phrase was followed as a bridge: %v", got)
	}
	if _, ok := got["Methods and Results"]; ok {
		t.Errorf("a structure heading was followed as a bridge: %v", got)
	}
	if !strings.Contains(got["Marla Quince"], "marla quince") {
		t.Errorf("the proper name should be followed: %v", got)
	}
}

func titles(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Title)
	}
	return out
}

func TestExpandNeighbours(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	parts := []string{"First part about apples.", "Middle part about zebras.", "Last part about cherries."}
	var chunks []store.Chunk
	for i, p := range parts {
		chunks = append(chunks, store.Chunk{Ordinal: i, Text: p})
	}
	if _, _, err := s.Index(ctx, "", store.Source{Path: "/d"}, store.Content{Hash: "d", Title: "D", Text: strings.Join(parts, " "), Chunks: chunks}); err != nil {
		t.Fatal(err)
	}
	hits, err := New(s.SearchView()).Search(ctx, Request{Query: "zebras", Expand: 1})
	if err != nil || len(hits) != 1 {
		t.Fatalf("%v %v", hits, err)
	}
	if !strings.Contains(hits[0].Context, "apples") || !strings.Contains(hits[0].Context, "cherries") {
		t.Fatalf("context %q", hits[0].Context)
	}
}

// Co-mentions (off by default: they measured worse) lift a passage that
// shares a rare name with a top hit.
func TestCoMentionHop(t *testing.T) {
	s := vaultDB(t, map[string]string{
		"Trip notes":  "On the ferry we met Orla Brennagh, who told us about the lighthouse keeper.",
		"Log of 1903": "Orla Brennagh kept the lamp lit through the storm, the worst of the year.",
		"Weather":     "Storm after storm: a storm in May, a storm in June, another storm in July.",
		"Recipes":     "Bread needs flour, water, salt and time.",
	})
	ctx := context.Background()
	order := func(co bool) []string {
		opt := DefaultOptions()
		opt.HopCoMentions, opt.CoMentionWeight = co, 1
		hits, err := NewWithOptions(s.SearchView(), opt).Search(ctx, Request{Query: "ferry storm", Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		return titles(hits)
	}
	pos := func(list []string, title string) int { return slices.Index(list, title) }
	without, with := order(false), order(true)
	if pos(without, "Log of 1903") < pos(without, "Weather") {
		t.Fatalf("test premise: without co-mentions the log already beats the weather page: %v", without)
	}
	if pos(with, "Log of 1903") > pos(with, "Weather") {
		t.Errorf("co-mentions did not lift the log: %v", with)
	}
}

// scored makes a list whose scores fall from top by step.
func scored(ids []int64, top, step float64) []Candidate {
	out := make([]Candidate, len(ids))
	for i, id := range ids {
		out[i] = Candidate{ChunkID: id, Score: top - float64(i)*step}
	}
	return out
}

func seq(from, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

func TestFuseConvex(t *testing.T) {
	ids := func(c []Candidate, n int) string {
		var out []int64
		for _, x := range c[:min(n, len(c))] {
			out = append(out, x.ChunkID)
		}
		return fmt.Sprint(out)
	}
	// Keyword list 1..200 and vector list 1000.., sharing chunk 5 (5th by
	// keywords) and chunk 150 (150th by keywords, 2nd by vectors).
	kw := scored(seq(1, 200), 20, 0.05)
	dense := scored(append([]int64{1000, 150, 5}, seq(1001, 197)...), 0.9, 0.002)
	cases := []struct {
		name  string
		lists []ranked
		alpha float64
		top   string
	}{
		// Half and half: 5, found by both (0.48 + 0.49), leads; the two
		// lists' tops follow at 0.5 each, keywords first on the tie.
		{"even", []ranked{{name: "bm25", cands: kw}, {name: "dense", cands: dense}}, 0.5, "[5 1 1000]"},
		// The vector list's share decides what follows: 150, below the
		// keyword floor, gets only its vector share (0.89).
		{"vectors first", []ranked{{name: "bm25", cands: kw}, {name: "dense", cands: dense}}, 0.9, "[5 1000 150]"},
		{"keywords first", []ranked{{name: "bm25", cands: kw}, {name: "dense", cands: dense}}, 0.1, "[5 1 2]"},
		// A hop's top counts like the keyword list's top: 1, 1000 and 7 all
		// score 0.5.
		{"hop", []ranked{{name: "bm25", cands: kw[:3]}, {name: "dense", cands: dense[:3]}, {name: "hop", weight: 1, cands: []Candidate{{ChunkID: 7}}}}, 0.5, "[1 1000 7]"},
	}
	for _, tc := range cases {
		got := fuseConvex(tc.lists, tc.alpha, 60)
		if s := ids(got, 3); s != tc.top {
			t.Errorf("%s: top %s, want %s", tc.name, s, tc.top)
		}
	}
	// Below the floor rank a list gives nothing: 150 has only its vector share.
	got := fuseConvex([]ranked{{name: "bm25", cands: kw}, {name: "dense", cands: dense}}, 0.5, 60)
	for _, c := range got {
		if c.ChunkID == 150 {
			if want := 0.5 * (0.898 - dense[convexFloor-1].Score) / (0.9 - dense[convexFloor-1].Score); c.Score < want-1e-9 || c.Score > want+1e-9 {
				t.Errorf("chunk 150 scored %v, want %v (vector share only)", c.Score, want)
			}
		}
	}
	// The top hits do not depend on how deep the lists go past the floor.
	short := fuseConvex([]ranked{{name: "bm25", cands: kw[:convexFloor]}, {name: "dense", cands: dense[:convexFloor]}}, 0.5, 60)
	if a, b := ids(got, 10), ids(short, 10); a != b {
		t.Errorf("top 10 with deep lists %s, with lists cut at the floor %s", a, b)
	}
}

// A name that many passages carry (a keyword of a manual, a site's name)
// bridges nothing; the same name, rare, is followed.
func TestHopsSkipCommonNames(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mentions int // other passages naming "Lock"
		followed bool
	}{{"rare", 3, true}, {"common", 40, false}} {
		t.Run(tc.name, func(t *testing.T) {
			docs := map[string]string{
				"Advisory locks": "Advisory locks are held by the application. See LOCK for table locks.",
				"LOCK":           "The statement takes a table-level hold.",
			}
			for i := range tc.mentions {
				docs[fmt.Sprintf("Page %d", i)] = fmt.Sprintf("Unrelated text %d that names LOCK in passing.", i)
			}
			hits, err := New(vaultDB(t, docs).SearchView()).Search(context.Background(), Request{Query: "advisory application", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			via := ""
			for _, h := range hits {
				if h.Title == "LOCK" {
					via = h.Via
				}
			}
			if followed := strings.Contains(via, "→ lock"); followed != tc.followed {
				t.Errorf("LOCK named in %d other passages: followed %v (via %q), want %v", tc.mentions, followed, via, tc.followed)
			}
		})
	}
}

// A passage naming many documents (a chapter's table of contents) is not
// a bridge; one naming one or two is.
func TestHopsSkipTablesOfContents(t *testing.T) {
	for _, tc := range []struct {
		name     string
		listed   []string
		followed bool
	}{
		{"cross-reference", []string{"Orla Brennagh"}, true},
		{"two names", []string{"Orla Brennagh", "Kestrel Dunmore"}, true},
		{"table of contents", []string{"Orla Brennagh", "Kestrel Dunmore", "Pallas Wren", "Tamsin Hale"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := map[string]string{
				"Lighthouse keepers": "Lighthouse keepers of the west coast: " + strings.Join(tc.listed, ". ") + ".",
			}
			for _, n := range tc.listed {
				docs[n] = "A biography of a person of that name."
			}
			hits, err := New(vaultDB(t, docs).SearchView()).Search(context.Background(), Request{Query: "lighthouse keepers", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			via := ""
			for _, h := range hits {
				if h.Title == "Orla Brennagh" {
					via = h.Via
				}
			}
			if followed := strings.Contains(via, "→ orla brennagh"); followed != tc.followed {
				t.Errorf("a passage naming %d documents: followed %v (via %q), want %v", len(tc.listed), followed, via, tc.followed)
			}
		})
	}
}

// A page a hop reached stays below the seed that named it: the chapter on
// the query, which names its section, keeps first place, and the section
// still gains the hop's vote.
func TestHopsStayBelowTheirSeed(t *testing.T) {
	docs := map[string]string{
		"Lighthouse keeping": "Lighthouse keeping is the tending of a light. Lighthouse keeping on the west coast is told in Orla Brennagh.",
		"Orla Brennagh":      "Orla Brennagh kept a light for forty years; lighthouse work filled her days.",
		"Harbour pilots":     "Harbour pilots guide ships through lighthouse channels.",
	}
	s := vaultDB(t, withFillers(docs))
	for _, tc := range []struct {
		below bool
		first string
	}{
		{false, "Orla Brennagh"},
		{true, "Lighthouse keeping"},
	} {
		opt := DefaultOptions()
		opt.HopBelowSeed = tc.below
		got := searchTitles(t, s, opt, "lighthouse keeping", 3)
		if len(got) < 2 || got[0] != tc.first || !slices.Contains(got[:2], "Orla Brennagh") {
			t.Errorf("below seed %v: %q, want %q first and the named page second", tc.below, got, tc.first)
		}
	}
}

// A name made only of words common in the vault ("General Purpose", a
// heading that reads as a phrase) is not followed; a name with a rare word
// in it (Orla Brennagh) still is.
func TestHopsSkipCommonPhrases(t *testing.T) {
	docs := map[string]string{
		"Aggregate Functions": "Aggregate functions compute one result from many rows. Table 9.1 lists the General Purpose aggregate functions; Orla Brennagh wrote the first of them.",
		"General Purpose":     "Options of general purpose for the server, each with its own setting.",
		"Orla Brennagh":       "Orla Brennagh kept a lighthouse for forty years.",
	}
	for i := range 40 {
		docs[fmt.Sprintf("Note %d", i)] = fmt.Sprintf("A general note %d on the purpose of setting %d.", i, i)
	}
	s := vaultDB(t, docs)
	for _, tc := range []struct {
		common     float64
		phraseHops bool
	}{{0, true}, {DefaultOptions().HopCommonWords, false}} {
		opt := DefaultOptions()
		opt.HopCommonWords = tc.common
		hits, err := NewWithOptions(s.SearchView(), opt).Search(context.Background(), Request{Query: "aggregate functions", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		phrase, name := false, false
		for _, h := range hits {
			phrase = phrase || strings.HasSuffix(h.Via, "→ general purpose")
			name = name || strings.HasSuffix(h.Via, "→ orla brennagh")
		}
		if phrase != tc.phraseHops || !name {
			t.Errorf("common words share %v: a hop through the phrase %v (want %v), through the name %v (want true)", tc.common, phrase, tc.phraseHops, name)
		}
	}
}

// A page the query's own list ranks above the seed that names it stands on
// its own words: the hop does not hold it below that seed.
func TestDirectFindsStayAboveTheirSeed(t *testing.T) {
	docs := map[string]string{
		"Orla Brennagh": "Lighthouse keeping was Orla Brennagh's life: forty years of lighthouse keeping on the west coast, lighthouse keeping in storms.",
		"Harbour notes": "Some lighthouse keeping stories come from Orla Brennagh.",
	}
	s := vaultDB(t, withFillers(docs))
	if got := searchTitles(t, s, DefaultOptions(), "lighthouse keeping", 2); len(got) < 2 || got[0] != "Orla Brennagh" {
		t.Errorf("%q, want the page about it first, above the note that names it", got)
	}
}

// A contents page names its sections without saying how they bear on each
// other: it is no bridge, while the same name in prose still is.
func TestHopsSkipListSeeds(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		hop        bool
	}{
		{"contents", "Table of Contents\nQuery Handling for the optimizer\nOrla Brennagh\nFurther optimizer notes", false},
		{"prose", "The optimizer was first written by Orla Brennagh, who tuned it for joins of many tables.", true},
	} {
		s := vaultDB(t, withFillers(map[string]string{
			"Query Optimizer": tc.body,
			"Orla Brennagh":   "Orla Brennagh kept a lighthouse for forty years.",
		}))
		hits, err := NewWithOptions(s.SearchView(), DefaultOptions()).Search(context.Background(), Request{Query: "optimizer", Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		hop := false
		for _, h := range hits {
			hop = hop || strings.HasSuffix(h.Via, "→ orla brennagh")
		}
		if hop != tc.hop {
			t.Errorf("%s: a hop to the named page %v, want %v (%+v)", tc.name, hop, tc.hop, hits)
		}
	}
}
