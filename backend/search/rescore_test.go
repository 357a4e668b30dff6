package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/hoardvault/hoard/backend/store"
)

// Prefix and CJK queries keep FTS5's order: the stage cannot count words
// that FTS5 matches as the start of a longer token.
func TestRescoreLeavesPrefixAndCJK(t *testing.T) {
	s := vaultDB(t, map[string]string{
		"Tokyo":  "東京タワーは高い。photography of towers",
		"Photos": "photographs photography photographer photo",
	})
	srch := New(s.SearchView())
	for _, in := range []string{"photo*", "東京", "towers 東京"} {
		q := Parse(in)
		base, err := srch.lexical.Retrieve(context.Background(), q, Filter{}, 10)
		if err != nil || len(base) == 0 {
			t.Fatalf("%q: %d candidates, %v", in, len(base), err)
		}
		got, err := srch.rescoreLexical(context.Background(), newChunkRows(srch.src), q, base)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, base) {
			t.Errorf("%q: order or scores changed: %v, was %v", in, got, base)
		}
	}
	if q := Parse("photography towers"); !wholeWords(q) {
		t.Errorf("plain words should be rescored")
	}
}

// The statistics come from FTS5's own averages record and follow the index
// as it changes; cached document frequencies are dropped with it.
func TestLexStatsFollowIndex(t *testing.T) {
	ctx := context.Background()
	s := vaultDB(t, map[string]string{
		"Alpha": "one two three four",
		"Beta":  "five six seven eight nine ten",
	})
	st := newLexStats()
	w := [3]float64{2, 1.5, 1}
	if err := st.refresh(ctx, s.SearchView(), w); err != nil {
		t.Fatal(err)
	}
	// Two rows; tokens: titles 1+1, bodies 4+6.
	if f := st.figures(); f.rows != 2 || f.avgRaw != 6 || f.avgLen != (2*2+10)/2.0 {
		t.Fatalf("rows %v avgRaw %v avgLen %v", f.rows, f.avgRaw, f.avgLen)
	}
	df, err := st.docFreq(ctx, s.SearchView(), `"seven"`)
	if err != nil || df != 1 {
		t.Fatalf("df %v, %v", df, err)
	}
	_, _, err = s.Index(ctx, "", store.Source{Path: "/Gamma"}, store.Content{Hash: "g", Title: "Gamma", Text: "seven seas", MediaType: "text/plain",
		Chunks: []store.Chunk{{Text: "seven seas", CharEnd: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.refresh(ctx, s.SearchView(), w); err != nil {
		t.Fatal(err)
	}
	if df, _ := st.docFreq(ctx, s.SearchView(), `"seven"`); st.figures().rows != 3 || df != 2 {
		t.Fatalf("after a new document: rows %v, df %v", st.figures().rows, df)
	}
}

// Proximity and feedback each break a tie that plain BM25F leaves: the
// passages have the same length and the same query-word counts.
func TestRescoreStages(t *testing.T) {
	ctx := context.Background()
	docs := map[string]string{ // eleven words each
		"Paired":    "cardiac arrest survival improved with early care in this cohort today",
		"Apart":     "arrest cohort survival improved with early care in this cardiac today",
		"Lifted":    "arrest defibrillation bystanders trained community program helped many patients recover cardiac",
		"Feedback1": "cardiac arrest defibrillation bystanders trained community program helped survival rates greatly",
		"Feedback2": "cardiac arrest defibrillation bystanders trained community program helped many patients recover",
	}
	srch, q, base := rescoreFixture(t, docs, "cardiac arrest")
	if len(base) != 5 {
		t.Fatalf("%d candidates, want the 5 passages with the words", len(base))
	}
	scores := func(stages string) map[string]float64 {
		t.Helper()
		opt, err := DefaultOptions().WithStages(stages)
		if err != nil {
			t.Fatal(err)
		}
		srch.opt = opt
		rows := newChunkRows(srch.src)
		got, err := srch.rescoreLexical(ctx, rows, q, base)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(base) {
			t.Fatalf("rescoring changed the candidates: %d of %d", len(got), len(base))
		}
		if err := rows.load(ctx, got); err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, c := range got {
			out[c.info.Title] = c.Score
		}
		return out
	}
	flat := scores("rescore")
	if math.Abs(flat["Paired"]-flat["Apart"]) > 1e-9 || math.Abs(flat["Lifted"]-flat["Apart"]) > 1e-9 {
		t.Fatalf("same counts, same length: BM25F should tie, got %v", flat)
	}
	if flat["Apart"] <= 0 {
		t.Fatalf("scores should be positive: %v", flat)
	}
	if p := scores("rescore,proximity"); p["Paired"] <= p["Apart"] {
		t.Errorf("words side by side should earn the proximity bonus: %v", p)
	}
	// The best passages share "defibrillation", "bystanders", "trained"…;
	// RM3 lifts the passage that has them over one that ties it on the
	// query's own words.
	if fb := scores("rescore,prf"); fb["Lifted"] <= fb["Apart"] {
		t.Errorf("feedback terms should lift Lifted over Apart: %v", fb)
	}
}

// Rarity ranks words by how many passages of the whole index hold them: a
// word held by every passage weighs least, one held by none most.
func TestRarity(t *testing.T) {
	s := vaultDB(t, map[string]string{
		"One":   "the server starts and the planner plans",
		"Two":   "the server stops",
		"Three": "the server restarts",
	})
	got, err := New(s.SearchView()).Rarity(context.Background(), []string{"server", "planner", "whistle"})
	if err != nil {
		t.Fatal(err)
	}
	if !(got["server"] < got["planner"] && got["planner"] < got["whistle"]) {
		t.Errorf("rarity %v: want server < planner < whistle", got)
	}
	if want := math.Log(2*3 + 2); math.Abs(got["whistle"]-want) > 1e-9 {
		t.Errorf("a word no passage holds: %.4f, want log(2·rows+2) = %.4f", got["whistle"], want)
	}
}

// A passage whose title is the query's words and little else ranks above
// passages whose longer titles and bodies repeat them: the page named for a
// topic is the one to read first.
func TestFieldMatchRanksTheTopicsOwnPage(t *testing.T) {
	const topic = "40. Event Triggers"
	pages := map[string]string{
		topic:                                  "An event trigger fires on events in the database. Unlike a regular trigger, an event trigger is global to a database.",
		"DROP EVENT TRIGGER remove a trigger":  "DROP EVENT TRIGGER removes an existing event trigger.",
		"ALTER EVENT TRIGGER change a trigger": "ALTER EVENT TRIGGER changes an existing event trigger.",
	}
	s := vaultDB(t, withFillers(pages))
	for _, tc := range []struct {
		weight   float64
		topFirst bool
	}{
		{0, false},
		{DefaultOptions().FieldMatchWeight, true},
	} {
		opt := DefaultOptions()
		opt.FieldMatchWeight = tc.weight
		got := searchTitles(t, s, opt, "event trigger", 4)
		if len(got) == 0 || (got[0] == topic) != tc.topFirst {
			t.Errorf("field match %.2f: %q (the topic's own page first: want %v)", tc.weight, got, tc.topFirst)
		}
	}
}

// The share of a body's words that stand in list entries: short lines that
// end no sentence.
func TestListShare(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       float64
	}{
		{"empty", "", 0},
		{"prose", "Vacuum reclaims storage. It runs in the background.\n\nThe planner uses its statistics.", 0},
		{"index", "vacuum, Routine Vacuuming\n\nvacuum cost, Resource Consumption\n\nvalues, VALUES", 1},
		{"contents", "Table of Contents\n\n8.1. Numeric Types\n\n8.2. Monetary Types", 1},
		{"long table rows", "name | description of the column that holds the name of the object it describes", 0},
		{"half", "Vacuum reclaims storage.\n\nSee Also These", 0.5},
	} {
		if got := listShare(tc.body); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %.3f, want %.3f", tc.name, got, tc.want)
		}
	}
}

// A page of list entries that names the query's words among many others (a
// back-of-book index) ranks below the page about them; a list whose title
// holds the query's words (a chapter's contents) keeps its place.
func TestListPenaltyRanksIndexesBelowContent(t *testing.T) {
	pages := map[string]string{
		"Index": "vacuum, Routine Vacuuming\n\nvacuum freezing, Preventing Wraparound\n\nvacuum cost, Resource Consumption\n\n" +
			"vacuumdb, vacuumdb\n\nvalues, VALUES\n\nvarchar, Character Types",
		"Routine Maintenance": "Every database needs periodic vacuum runs. A vacuum reclaims the storage that deleted rows still hold, " +
			"updates the statistics the planner relies on, and protects old rows from transaction ID wraparound. " +
			"The autovacuum daemon runs it in the background, so most installations never start one by hand.",
		"Chapter 25. Vacuum": "Table of Contents\n\n25.1. Vacuum Basics\n\n25.2. Recovering Disk Space\n\n25.3. Updating Planner Statistics",
	}
	s := vaultDB(t, withFillers(pages))
	// A list under a section about the query whose own heading is not
	// (Vacuum > Other Topics) is a list of other things.
	const other = "Maintenance Handbook"
	list := "vacuum cost, Resource Consumption\n\nvacuum freezing, Preventing Wraparound\n\nvalues, VALUES\n\nvarchar, Character Types"
	if _, _, err := s.Index(context.Background(), "", store.Source{Path: "/" + other}, store.Content{Hash: other, Title: other, Text: list, MediaType: "text/plain",
		Chunks: []store.Chunk{{Text: list, Heading: "Vacuum > Other Topics", CharEnd: len(list)}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		penalty float64
		query   string
		before  [2]string // the first ranks above the second
	}{
		{0, "vacuum", [2]string{"Index", "Routine Maintenance"}},
		{DefaultOptions().ListPenalty, "vacuum", [2]string{"Routine Maintenance", "Index"}},
		{DefaultOptions().ListPenalty, "vacuum", [2]string{"Chapter 25. Vacuum", "Index"}},
		{DefaultOptions().ListPenalty, "reclaims storage", [2]string{"Routine Maintenance", "Index"}},
		{DefaultOptions().ListPenalty, "vacuum", [2]string{"Routine Maintenance", other}},
	} {
		opt := DefaultOptions()
		opt.ListPenalty = tc.penalty
		got := searchTitles(t, s, opt, tc.query, 5)
		rank := map[string]int{}
		for i, title := range got {
			rank[title] = i + 1
		}
		a, b := rank[tc.before[0]], rank[tc.before[1]]
		if a == 0 || b != 0 && a > b {
			t.Errorf("list penalty %.2f, %q: %q, want %q above %q", tc.penalty, tc.query, got, tc.before[0], tc.before[1])
		}
	}
}

// withFillers adds pages that hold none of the tests' query words, so that
// each word is rare enough in the vault to weigh.
func withFillers(pages map[string]string) map[string]string {
	pages["Server Configuration"] = "Settings for memory, logging and replication."
	pages["Backup and Restore"] = "Dumps, archives and point-in-time recovery."
	return pages
}

// A title's leading label ("Chapter 40.") is its place in a book: the
// chapter named for the query matches as fully as a title of the query's
// words alone.
func TestFieldMatchSkipsBookLabels(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"Chapter 40. Event Triggers", "Event Triggers"},
		{"40.1. Overview", "40.1. Overview"},
		{"Apollo 11 (film)", "Apollo 11 (film)"},
		{"John F. Kennedy", "John F. Kennedy"},
	} {
		if got := bookLabel.ReplaceAllString(tc.title, ""); got != tc.want {
			t.Errorf("%q without its label: %q, want %q", tc.title, got, tc.want)
		}
	}
	const chapter = "Chapter 40. Event Triggers"
	body := "These fire when the schema changes and can log or forbid the change."
	s := vaultDB(t, withFillers(map[string]string{
		chapter:               body,
		"Triggers and Events": body,
	}))
	hits, err := New(s.SearchView()).Search(context.Background(), Request{Query: "event triggers", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Title != chapter {
		t.Errorf("%v: want %q first", hits, chapter)
	}
}

// searchTitles runs a query and lists the hits' titles in order.
func searchTitles(t *testing.T, s *store.Store, opt Options, query string, limit int) []string {
	t.Helper()
	hits, err := NewWithOptions(s.SearchView(), opt).Search(context.Background(), Request{Query: query, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hits {
		got = append(got, h.Title)
	}
	return got
}

// A title or heading written as an identifier (check_constraints) or as a
// command in capitals (DROP OPERATOR CLASS) names a code object, not the
// concept: its words are no field match, and the page about the concept
// ranks first.
func TestFieldMatchSkipsIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		name, query      string
		object, concept  string
		objBody, conBody string
	}{
		{"identifier", "check constraint", "37.8. check_constraints", "Constraints",
			"The view lists the constraints of each table, with a check of each.",
			"A check constraint is the most generic kind of constraint: it requires that a value satisfies an expression, and a check constraint can be named."},
		{"command", "operator class", "DROP OPERATOR CLASS", "11.10. Operator Classes and Operator Families",
			"DROP OPERATOR CLASS drops an existing operator class.",
			"An operator class identifies the operators an index uses for a column. Operator classes are grouped into operator families."},
	} {
		s := vaultDB(t, withFillers(map[string]string{tc.object: tc.objBody, tc.concept: tc.conBody}))
		if got := searchTitles(t, s, DefaultOptions(), tc.query, 2); len(got) == 0 || got[0] != tc.concept {
			t.Errorf("%s: %q, want %q first", tc.name, got, tc.concept)
		}
	}
}

// A query that names the identifier itself ("pg_dump") is matched by the
// title spelled so: the command's own page ranks over a page that only
// uses it.
func TestFieldMatchKeepsNamedIdentifiers(t *testing.T) {
	const object, user = "pg_dump", "25.1. SQL Dump"
	s := vaultDB(t, withFillers(map[string]string{
		object: "Extract a database into a script file or another archive file.",
		user:   "The idea behind this dump method is to run pg_dump and keep what pg_dump writes; pg_dump is an ordinary client.",
	}))
	if got := searchTitles(t, s, DefaultOptions(), "What is pg_dump for?", 2); len(got) == 0 || got[0] != object {
		t.Errorf("%q, want %q first", got, object)
	}
}

// TestRescoreCountsEveryFormOfAStem: a passage's word counts for a query
// word when their Porter2 stems agree, even where the stem does not begin
// as the word does ("crying" and "cry" are both "cri").
func TestRescoreCountsEveryFormOfAStem(t *testing.T) {
	ctx := context.Background()
	srch, q, base := rescoreFixture(t, map[string]string{
		"Tears": "the children were crying through the night in the ward",
		"Sleep": "the children were sleeping through the night in the ward",
	}, "cry children")
	rows := newChunkRows(srch.src)
	got, err := srch.rescoreLexical(ctx, rows, q, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := rows.load(ctx, got); err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || got[0].info.Title != "Tears" || got[0].Score <= got[1].Score {
		var order []string
		for _, c := range got {
			order = append(order, fmt.Sprintf("%s %.4f", c.info.Title, c.Score))
		}
		t.Fatalf("rescored %v: Tears, which says crying, should lead", order)
	}
}

// rescoreFixture is a searcher over docs and six filler passages, the
// query and its full-text candidates.
func rescoreFixture(t *testing.T, docs map[string]string, query string) (*Searcher, Query, []Candidate) {
	t.Helper()
	for i := range 6 {
		docs[fmt.Sprintf("Filler %d", i)] = "gardening tomatoes weather spring soil water sunlight compost mulch"
	}
	srch := New(vaultDB(t, docs).SearchView())
	q := Parse(query)
	base, err := srch.lexical.Retrieve(context.Background(), q, Filter{}, 30)
	if err != nil {
		t.Fatal(err)
	}
	return srch, q, base
}
