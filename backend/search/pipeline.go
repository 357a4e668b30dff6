package search

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/internal/script"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// Stage names, for switching stages on and off (ablations, --stages).
const (
	StageNormalize = "normalize" // strip chat cruft and quoting from the query
	StageRescore   = "rescore"   // BM25F with Porter2 stems over the full-text candidates
	StageProximity = "proximity" // query words side by side in a passage add to its score (with rescore)
	StagePRF       = "prf"       // pseudo-relevance feedback: RM3 expansion (with rescore)
	StageKeyword   = "keyword"   // the full-text list; off ("-keyword") leaves the vector list alone
	StageDense     = "dense"     // the vector list (needs an embedder)
	StageMultiHop  = "multihop"  // follow entities from the top hits
	StageRerank    = "rerank"    // the gated reranker slot (needs a reranker)
	StageMMR       = "mmr"       // diversity
	StageDedupe    = "dedupe"    // collapse near-duplicate chunks
	StagePools     = "pools"     // collection (pool) weights
	StageDecay     = "decay"     // temporal decay
)

// AllStages lists every optional stage in pipeline order.
var AllStages = []string{StageNormalize, StageKeyword, StageRescore, StageProximity, StagePRF, StageDense, StageMultiHop, StageRerank, StageMMR, StageDedupe, StagePools, StageDecay}

// Reranker scores (query, passage) pairs; higher is more relevant.
type Reranker interface {
	Rerank(ctx context.Context, query string, passages []string) ([]float64, error)
}

// Options configure the pipeline. The zero value is not useful: start from
// DefaultOptions.
type Options struct {
	Stages map[string]bool

	// Field weights of BM25: title, heading, body.
	TitleWeight, HeadingWeight, BodyWeight float64

	// RRF fuses ranked lists: score = Σ weight / (K + rank).
	RRFK float64
	// Convex, when above 0, fuses the keyword and vector lists by their
	// scores instead of their ranks: Convex × the vector score plus
	// (1 − Convex) × the keyword score, each scaled to [0, 1] within its
	// list; other lists (hops) add by rank as in RRF.
	Convex          float64
	RescoreDepth    int     // full-text candidates the rescore stage ranks again
	ProximityWeight float64 // share of the word pairs' BM25 added to the words'
	PRFKeep         float64 // weight of the original query in RM3 (1 − the expansion's)
	PRFDocs         int     // feedback passages
	PRFTerms        int     // expansion terms

	// FieldMatchWeight: a passage whose title or own heading is the query's
	// words and little else ("Event Triggers" for "event trigger", not "DROP
	// EVENT TRIGGER") gains this share of the query's weight, in proportion
	// to how much of each the other holds. Measured in docs/retrieval.md.
	FieldMatchWeight float64
	// FieldMatchHybrid is FieldMatchWeight where a vector list runs beside
	// the keywords: meaning already brings the page about the query, and
	// the lexical weight cost hybrid SciFact 0.003 for nothing elsewhere.
	FieldMatchHybrid float64

	// ListPenalty: a passage whose body is list entries (an index, a table
	// of contents, a page of links; see listShare) loses this share of its
	// rescored score, in proportion to that body's share of entries.
	ListPenalty float64

	// Dense is the vector list; nil (or no embedder) leaves search lexical.
	Dense       *Dense
	DenseWeight float64 // weight of the vector list in fusion

	Reranker Reranker
	// The reranker is skipped when the top-5 fused scores are decisive (the
	// first leads the fifth by more than RerankDecisive, relative) or flat
	// (less than RerankFlat apart).
	RerankDecisive, RerankFlat float64
	RerankDepth                int

	MMRLambda  float64 // 1 is pure relevance
	DedupeBits int     // chunks whose SimHashes differ in at most this many bits collapse

	HopDepth  int     // multi-hop rounds (≤ 3)
	HopWeight float64 // weight of each hop's list
	HopSeeds  int     // top hits whose entities are followed
	// HopCoMentions also follows rare names a seed shares with other
	// passages (not only names that title a document).
	// HopMaxShare: a name matching more than this share of the passages
	// is too common to bridge (0: any name).
	HopMaxShare float64
	// HopQueryOnly follows a bridge only into passages the query's words
	// reach; HopFreshOnly leaves out of a hop's list what the lists before
	// it found (no second credit).
	HopQueryOnly, HopFreshOnly bool
	HopCoMentions              bool
	// HopBelowSeed keeps what a hop reached below the seed that named it
	// (see belowSeeds).
	HopBelowSeed bool
	// HopCommonWords: a name of several words each in more than this share
	// of passages is a common phrase, not a name to follow (0: any).
	HopCommonWords float64
	// HopMaxList: a seed whose body has more than this share of its words
	// in list entries (see listShare) is no bridge (0: any).
	HopMaxList float64
	// HopMaxNames: a passage naming more documents than this is a list or
	// a table of contents, not a bridge (0: any number).
	HopMaxNames     int
	CoMentionWeight float64 // of the co-mention list, relative to the hop's

	Now func() time.Time // for temporal decay
}

// DefaultOptions is the best general configuration (see docs/retrieval.md).
func DefaultOptions() Options {
	return Options{
		Stages: map[string]bool{
			StageNormalize: true, StageKeyword: true, StageRescore: true, StageProximity: true, StagePRF: false, StageDense: true, StageMultiHop: true, StageRerank: true,
			StageMMR: false, StageDedupe: true, StagePools: true, StageDecay: true,
		},
		TitleWeight: 2.0, HeadingWeight: 1.5, BodyWeight: 1.0,
		RRFK: 60, Convex: 0.5, DenseWeight: 1.0, RescoreDepth: 100, ProximityWeight: 0.15, FieldMatchWeight: 0.6, FieldMatchHybrid: 0.4, ListPenalty: 0.7, PRFKeep: 0.85, PRFDocs: 10, PRFTerms: 10,
		RerankDecisive: 0.5, RerankFlat: 0.02, RerankDepth: 30,
		MMRLambda: 0.7, DedupeBits: 3,
		HopDepth: 2, HopWeight: 1.0, HopSeeds: 3, HopMaxShare: 0.002, HopMaxNames: 2, HopBelowSeed: true, HopCommonWords: 0.02, HopMaxList: 0.5, HopCoMentions: false, CoMentionWeight: 0.3,
		Now: time.Now,
	}
}

// WithStages returns o with stages switched by a spec such as
// "-prf,+mmr" (relative) or "normalize,prf" (exactly these).
func (o Options) WithStages(spec string) (Options, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return o, nil
	}
	known := map[string]bool{}
	for _, s := range AllStages {
		known[s] = true
	}
	next := map[string]bool{}
	// Relative when every stage named is switched with + or -; settings
	// ("rrf_k=30") alone keep the defaults.
	relative := true
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part != "" && !strings.Contains(part, "=") && !strings.ContainsAny(part[:1], "+-") {
			relative = false
		}
	}
	if relative {
		for k, v := range o.Stages {
			next[k] = v
		}
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if key, val, ok := strings.Cut(part, "="); ok {
			if err := o.tune(key, val); err != nil {
				return o, err
			}
			continue
		}
		on := true
		switch {
		case strings.HasPrefix(part, "-"):
			on, part = false, part[1:]
		case strings.HasPrefix(part, "+"):
			part = part[1:]
		}
		if part == "all" {
			for _, s := range AllStages {
				if s == StageKeyword {
					continue // switched off only by name
				}
				next[s] = on
			}
			continue
		}
		if part == "none" || part == "bm25" || part == "" {
			continue
		}
		if !known[part] {
			return o, fmt.Errorf("unknown stage %q (stages: %s)", part, strings.Join(AllStages, ", "))
		}
		next[part] = on
	}
	o.Stages = next
	return o, nil
}

// tunables are the settings a stage spec may set ("rrf_k=30"), for
// ablations; a switch is on at 1.
var tunables = map[string]func(*Options, float64){
	"rrf_k":              func(o *Options, v float64) { o.RRFK = v },
	"dense_weight":       func(o *Options, v float64) { o.DenseWeight = v },
	"hop_weight":         func(o *Options, v float64) { o.HopWeight = v },
	"convex":             func(o *Options, v float64) { o.Convex = v },
	"hop_max_share":      func(o *Options, v float64) { o.HopMaxShare = v },
	"hop_query_only":     func(o *Options, v float64) { o.HopQueryOnly = v != 0 },
	"hop_fresh_only":     func(o *Options, v float64) { o.HopFreshOnly = v != 0 },
	"hop_max_names":      func(o *Options, v float64) { o.HopMaxNames = int(v) },
	"hop_below_seed":     func(o *Options, v float64) { o.HopBelowSeed = v != 0 },
	"hop_common":         func(o *Options, v float64) { o.HopCommonWords = v },
	"hop_max_list":       func(o *Options, v float64) { o.HopMaxList = v },
	"title_weight":       func(o *Options, v float64) { o.TitleWeight = v },
	"heading_weight":     func(o *Options, v float64) { o.HeadingWeight = v },
	"proximity":          func(o *Options, v float64) { o.ProximityWeight = v },
	"field_match":        func(o *Options, v float64) { o.FieldMatchWeight = v },
	"field_match_hybrid": func(o *Options, v float64) { o.FieldMatchHybrid = v },
	"list_penalty":       func(o *Options, v float64) { o.ListPenalty = v },
}

func (o *Options) tune(key, val string) error {
	set, ok := tunables[strings.TrimSpace(key)]
	if !ok {
		names := make([]string, 0, len(tunables))
		for k := range tunables {
			names = append(names, k)
		}
		sort.Strings(names)
		return fmt.Errorf("unknown setting %q (known: %s)", key, strings.Join(names, ", "))
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil || f < 0 {
		return fmt.Errorf("setting %s: %q is not a number ≥ 0", key, val)
	}
	set(o, f)
	return nil
}

// Enabled lists the stages that are on, in pipeline order.
func (o Options) Enabled() []string {
	out := []string{}
	for _, s := range AllStages {
		if s == StageKeyword {
			if !o.On(s) {
				out = append(out, "-"+s) // the base list, named only when off
			}
			continue
		}
		if o.Stages[s] {
			out = append(out, s)
		}
	}
	return out
}

// On reports whether a stage is on.
func (o Options) On(stage string) bool {
	if stage == StageKeyword {
		// The keyword list is the base of search: on unless switched off
		// by name, so a stage list such as "prf,multihop" keeps it.
		on, set := o.Stages[stage]
		return on || !set
	}
	return o.Stages[stage]
}

// Searcher runs the pipeline over one vault database.
type Searcher struct {
	src      Reader
	opt      Options
	lexical  *BM25
	entities *entityIndex
	lexStats *lexStats
	rows     *rowCache // candidate rows kept between queries
	fwd      *Forward  // the vocabulary; the Reader's when it keeps rows
	kept     forwardSource
}

// New returns a searcher with the default pipeline.
func New(src Reader) *Searcher { return NewWithOptions(src, DefaultOptions()) }

// NewWithOptions returns a searcher with the given pipeline.
func NewWithOptions(src Reader, opt Options) *Searcher {
	w := [3]float64{opt.TitleWeight, opt.HeadingWeight, opt.BodyWeight}
	mem, _ := src.(postingsReader) // a Reader may hold the postings in memory
	s := &Searcher{src: src, opt: opt, lexical: &BM25{src: src, mem: mem, weights: w}, entities: newEntityIndex(src), lexStats: newLexStats(), rows: &rowCache{}}
	if fs, ok := src.(forwardSource); ok && fs.Forward() != nil {
		s.fwd, s.kept = fs.Forward(), fs
	} else {
		s.fwd = NewForward()
	}
	return s
}

// pinner is a Reader that can fix, for one query, the stamps it would
// otherwise read at each stage that asks (Pin).
type pinner interface {
	Pin(ctx context.Context) (Reader, error)
}

// pin is the searcher for one query: its Reader pinned, where it can be.
// The copy shares everything it keeps between queries.
func (s *Searcher) pin(ctx context.Context) (*Searcher, error) {
	p, ok := s.src.(pinner)
	if !ok {
		return s, nil
	}
	src, err := p.Pin(ctx)
	if err != nil {
		return nil, err
	}
	q := *s
	q.src = src
	mem, _ := src.(postingsReader)
	q.lexical = &BM25{src: src, mem: mem, weights: s.lexical.weights}
	if q.kept != nil {
		q.kept, _ = src.(forwardSource)
	}
	return &q, nil
}

// Options returns the pipeline configuration.
func (s *Searcher) Options() Options { return s.opt }

// Search runs a request. Any query text is accepted; text with nothing to
// match returns no hits and no error.
func (s *Searcher) Search(ctx context.Context, req Request) ([]Hit, error) {
	if req.Limit <= 0 {
		req.Limit = 10
	}
	raw := req.Query
	if s.opt.On(StageNormalize) {
		raw = Normalize(raw)
	}
	q := Parse(raw)
	if q.Empty() {
		return nil, nil
	}
	depth := max(req.Limit*3, 30)
	if s.denseOn() && s.opt.Convex > 0 {
		depth = max(depth, convexFloor) // the scaled lists reach their floor
	}
	s, err := s.pin(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := keptRows(ctx, s.src, s.rows)
	if err != nil {
		return nil, err
	}
	rows.want = req.Limit
	if err := s.keepSplits(ctx, rows); err != nil {
		return nil, err
	}
	lists, err := s.candidates(ctx, rows, raw, q, req.Filter, depth)
	if err != nil {
		return nil, err
	}
	cands := s.fuseLists(lists)
	if s.opt.HopBelowSeed {
		cands = belowSeeds(lists, cands)
	}
	if len(cands) > depth*2 {
		cands = cands[:depth*2]
	}
	if err := rows.load(ctx, cands); err != nil {
		return nil, err
	}
	if s.opt.On(StagePools) || s.opt.On(StageDecay) {
		s.adjust(cands)
	}
	if s.opt.On(StageRerank) && s.opt.Reranker != nil {
		if cands, err = s.rerank(ctx, raw, cands); err != nil {
			return nil, err
		}
	}
	var more map[int64]int
	if req.PerDocument || req.Group {
		cands, more = perDocument(cands)
	}
	if s.opt.On(StageDedupe) {
		// Only the window that can still reach the result is compared.
		window := min(len(cands), req.Limit+req.Limit/2+5)
		cands = append(dedupe(cands[:window], s.opt.DedupeBits), cands[window:]...)
	}
	if s.opt.On(StageMMR) {
		cands = mmr(cands, req.Limit, s.opt.MMRLambda)
	}
	if len(cands) > req.Limit {
		cands = cands[:req.Limit]
	}
	hits, err := s.hydrate(ctx, rows, cands, newMatcher(q, rows.voc))
	if err != nil {
		return nil, err
	}
	if req.Group {
		for i := range hits {
			hits[i].More = more[hits[i].DocID]
		}
	}
	if req.Expand > 0 {
		if err := s.expand(ctx, hits, req.Expand); err != nil {
			return nil, err
		}
	}
	return hits, nil
}

// ranked is one list for fusion.
type ranked struct {
	name   string
	weight float64
	cands  []Candidate
}

// candidates runs the retrievers: the query itself, and the stages that add
// lists (proximity, feedback, hops).
func (s *Searcher) candidates(ctx context.Context, rows *chunkRows, raw string, q Query, f Filter, depth int) ([]ranked, error) {
	// The vector list (embedding the query, then the index) runs beside
	// the keyword list: neither waits for the other.
	type denseResult struct {
		cands []Candidate
		err   error
	}
	var denseCh chan denseResult
	if s.denseOn() && (!s.opt.Dense.LatinOnly || script.LatinShare(1000, raw) >= minLatin) {
		denseCh = make(chan denseResult, 1) // buffered: never blocks if abandoned
		go func() {
			c, err := s.denseList(ctx, raw, f, depth)
			denseCh <- denseResult{c, err}
		}()
	}
	var base []Candidate
	var lists []ranked
	if s.opt.On(StageKeyword) || denseCh == nil {
		var err error
		if base, err = s.lexical.Retrieve(ctx, q, f, depth); err != nil {
			return nil, err
		}
		if s.opt.On(StageRescore) {
			if base, err = s.rescoreLexical(ctx, rows, q, base); err != nil {
				return nil, err
			}
		}
		lists = append(lists, ranked{name: "bm25", weight: 1, cands: base})
	}
	if denseCh != nil {
		d := <-denseCh
		if d.err != nil {
			return nil, d.err
		}
		cands, err := s.readable(ctx, rows, d.cands)
		if err != nil {
			return nil, err
		}
		lists = append(lists, ranked{name: "dense", weight: s.opt.DenseWeight, cands: cands})
	}
	if s.opt.On(StageMultiHop) && len(base) > 0 {
		hops, err := s.multiHop(ctx, rows, q, f, fuse(lists, s.opt.RRFK), depth)
		if err != nil {
			return nil, err
		}
		lists = append(lists, hops...)
	}
	return lists, nil
}

// denseOn reports whether the vector list runs.
func (s *Searcher) denseOn() bool {
	return s.opt.On(StageDense) && s.opt.Dense != nil && s.opt.Dense.Embedder != nil
}

// fuseLists merges the retrievers' lists as the options say: by scores
// when a vector list is among them and Convex is set, else by ranks.
func (s *Searcher) fuseLists(lists []ranked) []Candidate {
	if s.opt.Convex > 0 && slices.ContainsFunc(lists, func(l ranked) bool { return l.name == "dense" }) {
		return fuseConvex(lists, s.opt.Convex, s.opt.RRFK)
	}
	return fuse(lists, s.opt.RRFK)
}

// convexFloor is the rank whose score maps to 0 when a list's scores are
// scaled: a fixed rank, within the shortest list search asks for (30), so
// the fused top hits do not change with the number of hits asked for.
const convexFloor = 100

// fuseConvex adds the keyword and vector lists' scores, each scaled to
// [0, 1] between its top score and the score at rank convexFloor, in the
// proportion alpha (the vector list's share); a candidate below the floor
// or missing from a list gets 0 from it. Other lists (hops) add
// weight × (1 − alpha) × (k+1)/(k+rank): a top hop counts like a top
// keyword hit.
func fuseConvex(lists []ranked, alpha, k float64) []Candidate {
	t := newTally()
	for _, l := range lists {
		scaled := l.name == "bm25" || l.name == "dense"
		// A hop list grows out of the keyword list: it weighs in with
		// the keyword share.
		share := l.weight * (1 - alpha) * (k + 1)
		lo, hi := 0.0, 0.0
		if scaled {
			share = 1 - alpha
			if l.name == "dense" {
				share = alpha
			}
			if len(l.cands) > 0 {
				hi, lo = l.cands[0].Score, l.cands[min(len(l.cands), convexFloor)-1].Score
			}
		}
		for i, c := range l.cands {
			switch {
			case !scaled:
				t.add(c, share/(k+float64(i+1)))
			case hi > lo:
				t.add(c, share*max(0, (c.Score-lo)/(hi-lo)))
			case i == 0:
				t.add(c, share)
			default:
				t.add(c, 0)
			}
		}
	}
	return t.ranked()
}

// fuse merges ranked lists by weighted reciprocal rank fusion. The first
// list's order breaks ties; a candidate keeps the first reason it was found.
func fuse(lists []ranked, k float64) []Candidate {
	if len(lists) == 1 {
		out := append([]Candidate(nil), lists[0].cands...)
		for i := range out {
			out[i].Score = lists[0].weight / (k + float64(i+1))
		}
		return out
	}
	t := newTally()
	for _, l := range lists {
		for i, c := range l.cands {
			t.add(c, l.weight/(k+float64(i+1)))
		}
	}
	return t.ranked()
}

// tally adds up candidates' scores over lists; a candidate keeps its first
// appearance (its reason), and ties keep the order of first appearance.
type tally struct {
	score map[int64]float64
	first map[int64]Candidate
	order []int64
}

func newTally() *tally { return &tally{score: map[int64]float64{}, first: map[int64]Candidate{}} }

func (t *tally) add(c Candidate, s float64) {
	if _, ok := t.first[c.ChunkID]; !ok {
		t.first[c.ChunkID] = c
		t.order = append(t.order, c.ChunkID)
	}
	t.score[c.ChunkID] += s
}

func (t *tally) ranked() []Candidate {
	out := make([]Candidate, len(t.order))
	for i, id := range t.order {
		c := t.first[id]
		c.Score = t.score[id]
		out[i] = c
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// chunkInfo is a candidate's row, with what later stages work out from
// its text.
type chunkInfo struct {
	store.SearchChunk
	// Computed once, when first asked for: a row may be shared by
	// concurrent queries (rowCache).
	wordsOnce sync.Once
	words     map[string]bool
	simOnce   sync.Once
	sim       uint64 // SimHash of the words
	listOnce  sync.Once
	list      float64 // listShare of the text
	latinOnce sync.Once
	latin     float64 // share of the title's and text's letters that are Latin
	// The entities the text names (entityIndex.mentions), as of the
	// entity index's signature mentionsSig; guarded by the entity index's
	// lock.
	mentionsKnown bool
	mentionsSig   string
	mentions      []mention
	// The text, unpacked when first asked for (most candidates are ranked
	// from their kept words and never are).
	textOnce sync.Once
	body     string
	bodyErr  error
	// unread: a row from memory (chunkRows.meta) whose text or word
	// times it does not hold (a transcript's are read from the store);
	// chunkRows.texts reads a stage's at once, and text reads a lone one.
	// rows and ctx are its query's, until then.
	unread bool
	gone   bool // read from memory, and not in the store when its text was read
	rows   *chunkRows
	ctx    context.Context
}

// field is the title (0), heading (1) or text (2).
func (ci *chunkInfo) field(j int) string {
	switch j {
	case 0:
		return ci.Title
	case 1:
		return ci.Heading
	}
	return ci.text()
}

// text is the chunk's text; a text that cannot be unpacked is empty, and
// bodyErr says why (a hit's is reported: hydrate).
func (ci *chunkInfo) text() string {
	ci.textOnce.Do(func() {
		if ci.unread {
			if ci.bodyErr = ci.rows.texts(ci.ctx, []Candidate{{ChunkID: ci.ID, info: ci}}); ci.bodyErr != nil {
				return
			}
		}
		ci.body, ci.bodyErr = ci.Text.Unpack()
	})
	return ci.body
}

// latinShare is the share of Latin letters among the first thousand of
// the title and text, computed once.
func (ci *chunkInfo) latinShare() float64 {
	ci.latinOnce.Do(func() { ci.latin = script.LatinShare(1000, ci.Title, ci.text()) })
	return ci.latin
}

// listShare is listShare of the chunk's text, computed once.
func (ci *chunkInfo) listShare() float64 {
	ci.listOnce.Do(func() { ci.list = listShare(ci.text()) })
	return ci.list
}

// adjust applies collection weights and temporal decay:
// score × (0.8 + 0.2·e^(−0.03·age_days)).
func (s *Searcher) adjust(cands []Candidate) {
	now := s.opt.Now()
	for i := range cands {
		ci := cands[i].info
		if ci == nil {
			continue
		}
		if s.opt.On(StagePools) {
			cands[i].Score *= ci.Weight
		}
		if s.opt.On(StageDecay) && ci.Date > 0 {
			age := math.Max(0, now.Sub(time.Unix(ci.Date, 0)).Hours()/24)
			cands[i].Score *= 0.8 + 0.2*math.Exp(-0.03*age)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Score > cands[j].Score })
}

// rerank asks the reranker about the top candidates unless the fused scores
// already decide (a clear leader) or cannot (a flat top).
func (s *Searcher) rerank(ctx context.Context, query string, cands []Candidate) ([]Candidate, error) {
	if len(cands) < 2 || !gateOpen(cands, s.opt.RerankDecisive, s.opt.RerankFlat) {
		return cands, nil
	}
	n := min(len(cands), s.opt.RerankDepth)
	texts := make([]string, n)
	for i := range n {
		if cands[i].info != nil {
			texts[i] = cands[i].info.Title + "\n" + cands[i].info.text()
		}
	}
	scores, err := s.opt.Reranker.Rerank(ctx, query, texts)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	if len(scores) != n {
		return nil, fmt.Errorf("rerank: %d scores for %d passages", len(scores), n)
	}
	top := append([]Candidate(nil), cands[:n]...)
	for i := range top {
		top[i].Score = scores[i]
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].Score > top[j].Score })
	return append(top, cands[n:]...), nil
}

// gateOpen decides whether reranking is worth its cost, from the spread of
// the top-5 scores relative to the best.
func gateOpen(cands []Candidate, decisive, flat float64) bool {
	k := min(len(cands), 5)
	best, fifth := cands[0].Score, cands[k-1].Score
	if best <= 0 {
		return true
	}
	spread := (best - fifth) / best
	return spread <= decisive && spread >= flat
}

// wordSet of a chunk, computed once.
func (ci *chunkInfo) wordSet() map[string]bool {
	ci.wordsOnce.Do(func() {
		ci.words = map[string]bool{}
		for _, w := range text.Words(ci.text()) {
			ci.words[w] = true
		}
	})
	return ci.words
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// dedupe drops a candidate whose text nearly repeats a better one (the same
// passage stored in two documents, or quoted text). Near means SimHashes
// within maxBits of each other, which is cheap enough for every query.
func dedupe(cands []Candidate, maxBits int) []Candidate {
	out := cands[:0:0]
	for _, c := range cands {
		dup := false
		if c.info != nil {
			for _, k := range out {
				if k.info != nil && k.info.DocID != c.info.DocID && bits.OnesCount64(c.info.simHash()^k.info.simHash()) <= maxBits {
					dup = true
					break
				}
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

// simHash fingerprints the chunk's words: similar texts get hashes that
// differ in few bits.
func (ci *chunkInfo) simHash() uint64 {
	ci.simOnce.Do(func() { ci.sim = simHash(ci.text()) })
	return ci.sim
}

func simHash(s string) uint64 {
	// acc counts the words that set each bit; a bit is kept where more than
	// half of them do. Visiting only the set bits halves the work.
	var acc [64]int
	n := 0
	add := func(v uint64) {
		n++
		for ; v != 0; v &= v - 1 {
			acc[bits.TrailingZeros64(v)]++
		}
	}
	// FNV-1a over each lower-cased ASCII word (other bytes pass as they are).
	const offset, prime = 14695981039346656037, 1099511628211
	h, in := uint64(offset), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		word := c >= 0x80 || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		switch {
		case word:
			h = (h ^ uint64(c)) * prime
			in = true
		case in:
			add(h)
			h, in = offset, false
		}
	}
	if in {
		add(h)
	}
	var out uint64
	for b := range 64 {
		if 2*acc[b] > n {
			out |= 1 << b
		}
	}
	return out | 1<<63 // the top bit is always set (it once marked "computed"): distances as before
}

// perDocument keeps the best chunk of each document and counts, per
// document, the candidates after it.
func perDocument(cands []Candidate) ([]Candidate, map[int64]int) {
	seen := map[int64]bool{}
	more := map[int64]int{} // a document's passages after its best
	out := cands[:0:0]
	for _, c := range cands {
		doc := int64(-c.ChunkID)
		if c.info != nil {
			doc = c.info.DocID
		}
		if !seen[doc] {
			seen[doc] = true
			out = append(out, c)
		} else {
			more[doc]++
		}
	}
	return out, more
}

// mmr reorders the top candidates by maximal marginal relevance:
// λ·relevance − (1−λ)·max similarity to those already chosen.
func mmr(cands []Candidate, k int, lambda float64) []Candidate {
	if len(cands) < 3 {
		return cands
	}
	maxScore := cands[0].Score
	if maxScore <= 0 {
		return cands
	}
	// Diversity matters in what a person reads: the first screen of results.
	k = min(k, 20)
	pool := append([]Candidate(nil), cands[:min(len(cands), k*3)]...)
	var out []Candidate
	for len(out) < k && len(pool) > 0 {
		best, bestVal := 0, math.Inf(-1)
		for i, c := range pool {
			sim := 0.0
			for _, o := range out {
				if c.info != nil && o.info != nil {
					sim = math.Max(sim, jaccard(c.info.wordSet(), o.info.wordSet()))
				}
			}
			v := lambda*c.Score/maxScore - (1-lambda)*sim
			if v > bestVal {
				best, bestVal = i, v
			}
		}
		out = append(out, pool[best])
		pool = append(pool[:best], pool[best+1:]...)
	}
	return append(out, cands[min(len(cands), k*3):]...)
}

// expand adds the neighbouring chunks' text to each hit, as context for
// answers.
func (s *Searcher) expand(ctx context.Context, hits []Hit, n int) error {
	for i := range hits {
		parts, err := s.src.Neighbours(ctx, hits[i].ChunkID, n)
		if err != nil {
			return fmt.Errorf("expand: %w", err)
		}
		hits[i].Context = strings.Join(parts, "\n\n")
	}
	return nil
}

// belowSeeds keeps each candidate a hop reached below the seed whose
// mention led to it: the seed holds the query's words itself, the page it
// names is only a step away, and the hop's vote should lift that page
// beside its seed rather than over it. (A chapter naming its section
// otherwise lost first place to the section.)
func belowSeeds(lists []ranked, cands []Candidate) []Candidate {
	seed := map[int64]int64{}
	for _, l := range lists {
		for _, c := range l.cands {
			if _, ok := seed[c.ChunkID]; !ok && c.seed != 0 {
				seed[c.ChunkID] = c.seed
			}
		}
	}
	if len(seed) == 0 {
		return cands
	}
	// Where the query's own lists rank a page above its seed, the page
	// stands on its own words, and the hop does not hold it back.
	direct := map[int64]int{}
	for _, l := range lists {
		if l.name != "bm25" && l.name != "dense" {
			continue
		}
		for r, c := range l.cands {
			if old, ok := direct[c.ChunkID]; !ok || r < old {
				direct[c.ChunkID] = r
			}
		}
	}
	for c, sd := range seed {
		if rc, ok := direct[c]; ok {
			if rs, ok := direct[sd]; !ok || rc < rs {
				delete(seed, c)
			}
		}
	}
	score := make(map[int64]float64, len(cands))
	for _, c := range cands {
		score[c.ChunkID] = c.Score
	}
	// A second hop's seed is a first hop's find: a pass per hop settles
	// the chain.
	for range 3 {
		moved := false
		for i, c := range cands {
			ss, ok := score[seed[c.ChunkID]]
			if ok && seed[c.ChunkID] != 0 && score[c.ChunkID] >= ss {
				score[c.ChunkID] = math.Nextafter(ss, math.Inf(-1))
				cands[i].Score, moved = score[c.ChunkID], true
			}
		}
		if !moved {
			break
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Score > cands[j].Score })
	return cands
}
