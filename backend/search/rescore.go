package search

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hoardvault/hoard/backend/internal/script"
	"github.com/hoardvault/hoard/backend/text"
)

// The rescore stage ranks the full-text candidates again with BM25F computed
// here rather than by FTS5's bm25(): Porter2 stems (FTS5 only offers the
// older Porter stemmer), title and heading counted into the passage's term
// frequencies, a bonus for query words that stand side by side (proximity),
// and RM3 query expansion from the best passages (prf). FTS5 still finds the
// candidates and supplies the corpus statistics: row count, token totals and
// document frequencies. Measured in docs/retrieval.md.

// lexStats caches what rescoring asks the index for; it is dropped whenever
// the index's row count or token total changes.
type lexStats struct {
	mu  sync.Mutex
	key [2]int64 // rows, total tokens of the cached figures
	// figs are read by queries running at once, while a refresh may
	// replace them.
	figs  atomic.Pointer[corpusFigures]
	df    map[string]float64
	split splitCache // the candidates' words, kept between queries
}

func newLexStats() *lexStats {
	return &lexStats{df: map[string]float64{}}
}

// refresh reads the index's corpus statistics (the row count and each
// column's token total) and drops cached document frequencies when the
// index has changed.
func (l *lexStats) refresh(ctx context.Context, src lexicalReader, w [3]float64) error {
	t, err := src.LexicalTotals(ctx)
	if err != nil {
		return err
	}
	rows, title, heading, body := t.Rows, t.Tokens[0], t.Tokens[1], t.Tokens[2]
	l.mu.Lock()
	defer l.mu.Unlock()
	key := [2]int64{rows, title + heading + body}
	if key != l.key {
		l.key = key
		clear(l.df)
	}
	f := corpusFigures{rows: float64(max(rows, 1))}
	f.avgLen = math.Max(1, (w[0]*float64(title)+w[1]*float64(heading)+w[2]*float64(body))/f.rows)
	f.avgRaw = math.Max(1, float64(title+heading+body)/f.rows)
	if old := l.figs.Load(); old == nil || *old != f {
		l.figs.Store(&f)
	}
	return nil
}

// corpusFigures are the index's passage count and average lengths.
type corpusFigures struct {
	rows   float64
	avgLen float64 // weighted passage length (title, heading, body)
	avgRaw float64 // unweighted passage length, for word pairs
}

// figures are the figures of the last refresh (ones before any).
func (l *lexStats) figures() corpusFigures {
	if f := l.figs.Load(); f != nil {
		return *f
	}
	return corpusFigures{rows: 1, avgLen: 1, avgRaw: 1}
}

// phraseCounter counts a word's or phrase's rows from memory, as FTS5
// would (postings.Index); ok is false when it cannot.
type phraseCounter interface {
	CountPhrase(ctx context.Context, phrase string) (n int64, ok bool, err error)
}

// docFreq is the number of passages an FTS5 expression (a quoted word or
// pair) matches, cached until the index changes.
func (l *lexStats) docFreq(ctx context.Context, src lexicalReader, expr string) (float64, error) {
	l.mu.Lock()
	n, ok := l.df[expr]
	l.mu.Unlock()
	if ok {
		return n, nil
	}
	var c int64
	var err error
	counted := false
	if mem, ok := src.(phraseCounter); ok {
		if c, counted, err = mem.CountPhrase(ctx, unquote(expr)); err != nil {
			return 0, err
		}
	}
	if !counted {
		if c, err = src.CountMatches(ctx, expr); err != nil {
			return 0, err
		}
	}
	l.mu.Lock()
	l.df[expr] = float64(c)
	l.mu.Unlock()
	return float64(c), nil
}

// passage is one candidate's words, field by field (title, heading,
// body), as ids of a vocabulary: each word's and its stem's.
type passage struct {
	sid     [3][]uint32
	wid     [3][]uint32 // nil for a kept split: see words
	ci      *chunkInfo  // its row: the fields' text, for words
	heading ownField    // the heading's last step
	title   ownField    // the title without its label and identifiers (see bookLabel)
	length  float64     // weighted length
	raw     float64     // unweighted length
	list    float64     // share of the body's words in list entries (see listShare)
}

// words are the passage's word ids, split again from its text when its
// split was a kept one (which holds only stems).
func (p *passage) words(voc *vocab) [3][]uint32 {
	for j := range p.wid {
		if p.wid[j] == nil && len(p.sid[j]) > 0 {
			p.wid[j], _ = voc.add(text.AppendWords(nil, strings.ToLower(p.ci.field(j))), true, false)
		}
	}
	return p.wid
}

// rescoreTerm is a query stem with its weight and an FTS5 expression that
// counts its passages.
type rescoreTerm struct {
	stem   string
	sid    uint32 // the stem's id in the query's vocabulary
	expr   string
	weight float64
}

// rescoreLexical ranks base again (see the top of this file).
func (s *Searcher) rescoreLexical(ctx context.Context, rows *chunkRows, q Query, base []Candidate) ([]Candidate, error) {
	if len(base) == 0 || !wholeWords(q) {
		return base, nil
	}
	w := [3]float64{s.opt.TitleWeight, s.opt.HeadingWeight, s.opt.BodyWeight}
	st := s.lexStats
	if err := st.refresh(ctx, s.src, w); err != nil {
		return nil, err
	}
	var tail []Candidate
	if n := s.opt.RescoreDepth; n > 0 && len(base) > n {
		// Past the first RescoreDepth the order stays FTS5's, after them.
		base, tail = base[:n:n], base[n:]
	}
	if err := rows.load(ctx, base); err != nil {
		return nil, err
	}
	// A field's identifiers are no field match for their parts, unless
	// the query names the identifier itself ("pg_dump").
	raw := strings.ToLower(q.Raw)
	unnamed := func(field string) string {
		return identifiers.ReplaceAllStringFunc(field, func(id string) string {
			if strings.Contains(raw, strings.ToLower(id)) {
				return id
			}
			return " "
		})
	}
	voc := rows.voc
	if voc == nil {
		voc = s.fwd.vocab()
	}
	ps := make([]*passage, len(base))
	parallel(len(base), func(i int) {
		ci := base[i].info
		if ci == nil {
			return
		}
		sp := rows.split(ci.ID)
		if sp == nil {
			sp = st.split.get(voc, ci.ID, [3]string{ci.Title, ci.Heading, ci.text()}) // split as below, once
		}
		p := &passage{wid: sp.wid, sid: sp.sid, ci: ci}
		for j := range sp.fields {
			if j == 1 {
				// A heading is a path ("5.9. Schemas > 5.9.3. The Schema
				// Search Path"): the last step is the passage's own.
				p.heading = sp.ownWordsFor(1, unnamed)
			}
			if j == 0 {
				p.title = sp.ownWordsFor(0, unnamed) // without its label (bookLabel)
			}
			p.length += w[j] * float64(len(p.sid[j]))
			p.raw += float64(len(p.sid[j]))
		}
		if s.opt.ListPenalty > 0 {
			p.list = sp.listShare()
		}
		ps[i] = p
	})

	// The query: its words (stop words are already gone) and their pairs.
	var qwords []string
	for _, t := range q.Terms {
		qwords = text.AppendWords(qwords, t)
	}
	for _, ph := range q.Phrases {
		qwords = text.AppendWords(qwords, ph)
	}
	var qterms []rescoreTerm
	at := map[uint32]int{}
	qsid := make([]uint32, len(qwords))
	for i, word := range qwords {
		sid := voc.stemID(word)
		qsid[i] = sid
		if k, ok := at[sid]; ok {
			qterms[k].weight++
			continue
		}
		at[sid] = len(qterms)
		qterms = append(qterms, rescoreTerm{stem: voc.stem(sid), sid: sid, expr: quote(word), weight: 1})
	}
	var pairs [][2]int // indexes into qterms
	var pairExpr []string
	if s.opt.On(StageProximity) {
		for i := 0; i+1 < len(qwords) && len(pairs) < 12; i++ {
			a, b := at[qsid[i]], at[qsid[i+1]]
			if a != b {
				pairs = append(pairs, [2]int{a, b})
				pairExpr = append(pairExpr, quote(qwords[i]+" "+qwords[i+1]))
			}
		}
	}

	tf, pairTF := st.count(ps, w, qterms, pairs)
	scores, err := s.bm25f(ctx, ps, qterms, tf)
	if err != nil {
		return nil, err
	}
	prox, err := s.proximity(ctx, ps, pairExpr, pairTF)
	if err != nil {
		return nil, err
	}
	for i := range scores {
		scores[i] += prox[i]
	}
	if s.fieldMatchWeight() > 0 {
		if err := s.fieldMatch(ctx, ps, qterms, scores); err != nil {
			return nil, err
		}
	}
	if s.opt.On(StagePRF) {
		expanded, err := s.rm3(ctx, rows, voc, ps, w, scores, qterms)
		if err != nil {
			return nil, err
		}
		if len(expanded) > len(qterms) {
			tf, _ := st.count(ps, w, expanded, nil)
			if scores, err = s.bm25f(ctx, ps, expanded, tf); err != nil {
				return nil, err
			}
			// The expanded query's weights sum to one: scale the pairs' bonus
			// the same way.
			for i := range scores {
				scores[i] += prox[i] / float64(len(qwords))
			}
		}
	}
	if s.opt.ListPenalty > 0 {
		if err := s.listPenalty(ctx, ps, qterms, scores); err != nil {
			return nil, err
		}
	}
	out := append([]Candidate(nil), base...)
	for i := range out {
		if ps[i] != nil {
			out[i].Score = scores[i]
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	low := out[len(out)-1].Score
	for i, c := range tail {
		c.Score = low * float64(len(tail)-i) / float64(len(tail)+1)
		out = append(out, c)
	}
	return out, nil
}

// wholeWords reports whether the query is made of whole words that the
// rescore stage can count. Prefixes (word*) and CJK words, which FTS5
// matches as the start of a longer token, keep FTS5's order.
func wholeWords(q Query) bool {
	if len(q.Prefixes) > 0 {
		return false
	}
	for _, t := range append(append([]string{}, q.Terms...), q.Phrases...) {
		if strings.IndexFunc(t, script.IsCJK) >= 0 {
			return false
		}
	}
	return true
}

// count finds each term's weighted frequency in each passage, and how often
// each pair of terms stands side by side.
func (l *lexStats) count(ps []*passage, w [3]float64, terms []rescoreTerm, pairs [][2]int) (tf, pairTF [][]float64) {
	ids := make([]uint32, len(terms))
	for k, t := range terms {
		ids[k] = t.sid
	}
	set := newTermSet(ids)
	follows := map[[2]int]int{}
	for k, pr := range pairs {
		follows[pr] = k
	}
	tf = make([][]float64, len(ps))
	pairTF = make([][]float64, len(ps))
	// One backing array each: a passage's counts are a slice of it.
	tfs := make([]float64, len(ps)*len(terms))
	pairTFs := make([]float64, len(ps)*len(pairs))
	for i, p := range ps {
		if p == nil {
			continue
		}
		tf[i] = tfs[i*len(terms) : (i+1)*len(terms) : (i+1)*len(terms)]
		if len(pairs) > 0 {
			pairTF[i] = pairTFs[i*len(pairs) : (i+1)*len(pairs) : (i+1)*len(pairs)]
		}
		for j, ws := range p.sid {
			prev := -1
			for _, sid := range ws {
				k := set.index(sid)
				if k >= 0 {
					tf[i][k] += w[j]
					if prev >= 0 && len(pairs) > 0 {
						if n, ok := follows[[2]int{prev, k}]; ok {
							pairTF[i][n]++
						}
					}
				}
				prev = k
			}
		}
	}
	return tf, pairTF
}

// parallel calls fn for 0..n-1 on two goroutines: tokenizing hundreds of
// passages is most of a query's own work, and search latency is measured
// on two cores.
func parallel(n int, fn func(i int)) { parallelWorkers(n, func(_, i int) { fn(i) }) }

// parallelWorkers is parallel, telling fn which of the two workers (0 or
// 1) calls it: a worker's calls never run at once.
func parallelWorkers(n int, fn func(worker, i int)) {
	if n < 64 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i < n; i += 2 {
			fn(1, i)
		}
	}()
	for i := 0; i < n; i += 2 {
		fn(0, i)
	}
	wg.Wait()
}

const bm25K1, bm25B = 1.2, 0.75

func (s *Searcher) idf(ctx context.Context, expr string) (float64, error) {
	df, err := s.lexStats.docFreq(ctx, s.src, expr)
	if err != nil {
		return 0, err
	}
	return math.Log(1 + (s.lexStats.figures().rows-df+0.5)/(df+0.5)), nil
}

// bm25f scores every passage for the terms from their weighted frequencies.
func (s *Searcher) bm25f(ctx context.Context, ps []*passage, terms []rescoreTerm, tf [][]float64) ([]float64, error) {
	scores := make([]float64, len(ps))
	fig := s.lexStats.figures()
	for k, t := range terms {
		v, err := s.idf(ctx, t.expr)
		if err != nil {
			return nil, err
		}
		for i, p := range ps {
			if p == nil || tf[i][k] == 0 {
				continue
			}
			f := tf[i][k]
			scores[i] += t.weight * v * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*p.length/fig.avgLen))
		}
	}
	return scores, nil
}

// proximity is the ProximityWeight share of the BM25 of the query's word
// pairs that stand side by side in each passage.
func (s *Searcher) proximity(ctx context.Context, ps []*passage, exprs []string, pairTF [][]float64) ([]float64, error) {
	out := make([]float64, len(ps))
	fig := s.lexStats.figures()
	for k, expr := range exprs {
		v := -1.0
		for i, p := range ps {
			if p == nil || pairTF[i][k] == 0 {
				continue
			}
			if v < 0 {
				var err error
				if v, err = s.idf(ctx, expr); err != nil {
					return nil, err
				}
			}
			f := pairTF[i][k]
			out[i] += s.opt.ProximityWeight * v * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*p.raw/fig.avgRaw))
		}
	}
	return out, nil
}

// rm3 adds RM3 feedback terms to the query: the best PRFDocs passages vote
// for their words in proportion to their share of the score mass (softmax)
// and each word's share of the passage; the PRFTerms words with most votes
// join the query with weight 1−PRFKeep, the original words keep PRFKeep.
func (s *Searcher) rm3(ctx context.Context, rows *chunkRows, voc *vocab, ps []*passage, w [3]float64, scores []float64, qterms []rescoreTerm) ([]rescoreTerm, error) {
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		if p != nil {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	idx = idx[:min(len(idx), s.opt.PRFDocs)]
	if len(idx) < 2 {
		return qterms, nil
	}
	// Their words are read from their texts (a kept split has stems only).
	fb := make([]Candidate, 0, len(idx))
	for _, i := range idx {
		fb = append(fb, Candidate{ChunkID: ps[i].ci.ID, info: ps[i].ci})
	}
	if err := rows.texts(ctx, fb); err != nil {
		return nil, err
	}
	top := scores[idx[0]]
	var z float64
	for _, i := range idx {
		z += math.Exp(scores[i] - top)
	}
	votes := map[uint32]float64{}  // by stem id
	surface := map[uint32]uint32{} // a word FTS5 can count the stem by
	for _, i := range idx {
		pd := math.Exp(scores[i]-top) / z
		p := ps[i]
		wid := p.words(voc)
		for j, ws := range p.sid {
			for n, sid := range ws {
				votes[sid] += pd * w[j] / p.length
				if _, ok := surface[sid]; !ok && n < len(wid[j]) {
					surface[sid] = wid[j][n]
				}
			}
		}
	}
	type cand struct {
		stem string
		sid  uint32
		vote float64
	}
	var cands []cand
	for sid, v := range votes {
		sw := voc.stem(sid)
		if len(sw) < 2 || text.IsStopWord(sw) || extraStop[sw] || text.IsNumber(sw) {
			continue
		}
		cands = append(cands, cand{sw, sid, v})
	}
	sort.Slice(cands, func(a, b int) bool {
		return cands[a].vote > cands[b].vote || cands[a].vote == cands[b].vote && cands[a].stem < cands[b].stem
	})
	cands = cands[:min(len(cands), s.opt.PRFTerms)]
	var mass, qmass float64
	for _, c := range cands {
		mass += c.vote
	}
	for _, t := range qterms {
		qmass += t.weight
	}
	keep := s.opt.PRFKeep
	out := make([]rescoreTerm, 0, len(qterms)+len(cands))
	at := map[uint32]int{}
	for _, t := range qterms {
		t.weight = keep * t.weight / qmass
		at[t.sid] = len(out)
		out = append(out, t)
	}
	for _, c := range cands {
		wt := (1 - keep) * c.vote / mass
		if i, ok := at[c.sid]; ok {
			out[i].weight += wt
			continue
		}
		word := c.stem // never left so: every stem voted for has a word
		if id, ok := surface[c.sid]; ok {
			word = voc.word(id)
		}
		out = append(out, rescoreTerm{stem: c.stem, sid: c.sid, expr: quote(word), weight: wt})
	}
	return out, nil
}

// Rarity is each word's inverse document frequency across the whole index
// (BM25's, as rescoring weighs it): a word no passage holds gets the
// greatest, log(2·rows+2). Answers weigh how much of a question the best
// passages hold by it.
func (s *Searcher) Rarity(ctx context.Context, words []string) (map[string]float64, error) {
	w := [3]float64{s.opt.TitleWeight, s.opt.HeadingWeight, s.opt.BodyWeight}
	if err := s.lexStats.refresh(ctx, s.src, w); err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(words))
	for _, word := range words {
		v, err := s.idf(ctx, quote(word))
		if err != nil {
			return nil, err
		}
		out[word] = v
	}
	return out, nil
}

// fieldMatchWeight is the field match's weight for this searcher: lexical
// or hybrid (see FieldMatchHybrid).
func (s *Searcher) fieldMatchWeight() float64 {
	if s.denseOn() {
		return s.opt.FieldMatchHybrid
	}
	return s.opt.FieldMatchWeight
}

// fieldMatch adds to each passage FieldMatchWeight × the query's weight ×
// how well its title or heading is the query: the share of the query's
// weight it holds times the share of its own content words that are the
// query's (numbers and stop words aside).
func (s *Searcher) fieldMatch(ctx context.Context, ps []*passage, terms []rescoreTerm, scores []float64) error {
	at, idf, total, err := s.termWeights(ctx, terms)
	if err != nil || total == 0 {
		return err
	}
	fw := s.fieldMatchWeight()
	for i, p := range ps {
		if p == nil {
			continue
		}
		best := 0.0
		for _, field := range [2]ownField{p.title, p.heading} {
			seen := map[int]bool{}
			words, matched := 0, 0
			for n, sid := range field.sid {
				if !field.content[n] {
					continue
				}
				words++
				if k := at.index(sid); k >= 0 {
					matched++
					seen[k] = true
				}
			}
			if words == 0 {
				continue
			}
			var held float64
			for k := range seen {
				held += idf[k]
			}
			best = max(best, held/total*float64(matched)/float64(words))
		}
		scores[i] += fw * total * best
	}
	return nil
}

// listEntryWords: a line of at most this many words that does not end a
// sentence is a list entry (a link, a contents line, an index term).
const listEntryWords = 12

// listShare is the share of a text's words that stand in list entries:
// short lines that end no sentence. A table of contents, an index or a page
// of links is nearly all entries; prose, and a table of long rows, are not.
// Such a page names a query's words beside many others without being about
// them, so rescoring ranks it below the pages it points to.
func listShare(body string) float64 {
	var words, entries int
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		n := len(strings.Fields(line))
		words += n
		if n > 0 && n <= listEntryWords && !strings.ContainsAny(line[len(line)-1:], ".!?;:") {
			entries += n
		}
	}
	if words == 0 {
		return 0
	}
	return float64(entries) / float64(words)
}

// listPenalty lowers the score of a passage of list entries by ListPenalty
// × its share of entries × the share of the query's weight that its title
// and own heading miss (as field match reads them): a list under a title
// about the query (a chapter's contents) is about it, a list that only
// names the query's words among many others (an index, a section's list
// of other topics) is not.
func (s *Searcher) listPenalty(ctx context.Context, ps []*passage, terms []rescoreTerm, scores []float64) error {
	at, idf, total, err := s.termWeights(ctx, terms)
	if err != nil || total == 0 {
		return err
	}
	pen := min(1, s.opt.ListPenalty)
	for i, p := range ps {
		if p == nil || p.list == 0 {
			continue
		}
		seen := map[int]bool{}
		for _, field := range [2]ownField{p.title, p.heading} {
			for _, sid := range field.sid {
				if k := at.index(sid); k >= 0 {
					seen[k] = true
				}
			}
		}
		var held float64
		for k := range seen {
			held += idf[k]
		}
		scores[i] *= 1 - pen*p.list*(1-held/total)
	}
	return nil
}

// termWeights gives each query term's index (by stem id) and its weight ×
// IDF, and their sum: how much of the query a field holds is weighed by it.
func (s *Searcher) termWeights(ctx context.Context, terms []rescoreTerm) (termSet, []float64, float64, error) {
	ids := make([]uint32, len(terms))
	idf := make([]float64, len(terms))
	var total float64
	for k, t := range terms {
		v, err := s.idf(ctx, t.expr)
		if err != nil {
			return termSet{}, nil, 0, err
		}
		ids[k], idf[k] = t.sid, v*t.weight
		total += idf[k]
	}
	return newTermSet(ids), idf, total, nil
}

// bookLabel is a title's leading label: a word, a number and a full stop
// ("Chapter 40. ", "Lecture 3. "). It names the page's place in a book,
// not its topic, so a title's field match leaves it out. (A letter or a
// roman numeral would also take "John F. " and "Henry V. ".)
var bookLabel = regexp.MustCompile(`^\pL+ \d+\.\s+`)

// identifiers are words joined by underscores (check_constraints,
// pg_stat_activity) and a leading run of words in capitals (DROP INDEX,
// CREATE TABLE AS; each of two letters or more, so "BMW M" stays): a
// title or heading spelled so names a code object or a command, and its
// words are not the field's words for a field match.
var identifiers = regexp.MustCompile(`\S*_\S*|^[A-Z]{2,}(?: [A-Z]{2,})+\b`)
