package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
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
	mu     sync.Mutex
	key    [2]int64 // rows, total tokens of the cached figures
	rows   float64
	avgLen float64 // weighted passage length (title, heading, body)
	avgRaw float64 // unweighted passage length, for word pairs
	df     map[string]float64
	stems  map[string]string
}

const maxStemCache = 200_000

func newLexStats() *lexStats {
	return &lexStats{df: map[string]float64{}, stems: map[string]string{}}
}

// stem returns the Porter2 stem of a lower-case word, cached: a query
// rescoring hundreds of passages stems the same words over and over.
func (l *lexStats) stem(w string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.stems[w]; ok {
		return s
	}
	if len(l.stems) >= maxStemCache {
		clear(l.stems)
	}
	s := stem(w)
	l.stems[w] = s
	return s
}

// refresh reads the index's averages record (FTS5 keeps the row count and
// each column's token total in chunks_fts_data row 1) and drops cached
// document frequencies when the index has changed.
func (l *lexStats) refresh(ctx context.Context, db *sql.DB, w [3]float64) error {
	var block []byte
	err := db.QueryRowContext(ctx, `SELECT block FROM chunks_fts_data WHERE id = 1`).Scan(&block)
	if errors.Is(err, sql.ErrNoRows) {
		block = nil
	} else if err != nil {
		return fmt.Errorf("index statistics: %w", err)
	}
	vals := make([]int64, 0, 4)
	for len(block) > 0 && len(vals) < 4 {
		v, n := getVarint(block)
		if n == 0 {
			break
		}
		vals = append(vals, v)
		block = block[n:]
	}
	for len(vals) < 4 {
		vals = append(vals, 0)
	}
	rows, title, heading, body := vals[0], vals[1], vals[2], vals[3]
	l.mu.Lock()
	defer l.mu.Unlock()
	key := [2]int64{rows, title + heading + body}
	if key != l.key {
		l.key = key
		clear(l.df)
	}
	l.rows = float64(max(rows, 1))
	l.avgLen = math.Max(1, (w[0]*float64(title)+w[1]*float64(heading)+w[2]*float64(body))/l.rows)
	l.avgRaw = math.Max(1, float64(title+heading+body)/l.rows)
	return nil
}

// getVarint decodes SQLite's big-endian varint (FTS5 records use it).
func getVarint(b []byte) (int64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		if i == 8 {
			return int64(v<<8 | uint64(b[i])), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return int64(v), i + 1
		}
	}
	return 0, 0
}

// docFreq is the number of passages an FTS5 expression (a word or a quoted
// pair) matches, cached until the index changes.
func (l *lexStats) docFreq(ctx context.Context, db *sql.DB, expr string) (float64, error) {
	l.mu.Lock()
	n, ok := l.df[expr]
	l.mu.Unlock()
	if ok {
		return n, nil
	}
	var c int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?`, expr).Scan(&c); err != nil {
		return 0, fmt.Errorf("document frequency: %w", err)
	}
	l.mu.Lock()
	l.df[expr] = float64(c)
	l.mu.Unlock()
	return float64(c), nil
}

// passage is one candidate's stems, field by field.
type passage struct {
	text   [3]string          // title, heading, body
	tf     map[string]float64 // weighted term frequencies
	seq    [][]string         // each field's stems in order, for pairs
	length float64            // weighted length
	raw    float64            // unweighted length
}

// rescoreTerm is a query stem with its weight and an FTS5 expression that
// counts its passages.
type rescoreTerm struct {
	stem   string
	expr   string
	weight float64
}

// rescoreLexical ranks base again (see the top of this file); it returns base as
// it was when the passages cannot be read.
func (s *Searcher) rescoreLexical(ctx context.Context, q Query, base []Candidate) ([]Candidate, error) {
	if len(base) == 0 {
		return base, nil
	}
	w := [3]float64{s.opt.TitleWeight, s.opt.HeadingWeight, s.opt.BodyWeight}
	st := s.lexStats
	if err := st.refresh(ctx, s.db, w); err != nil {
		return nil, err
	}
	texts, err := s.fields(ctx, base)
	if err != nil {
		return nil, err
	}
	ps := make([]*passage, len(base))
	for i, c := range base {
		f, ok := texts[c.ChunkID]
		if !ok {
			continue
		}
		p := &passage{text: f, tf: map[string]float64{}}
		for j, text := range f {
			var seq []string
			for _, word := range words(text) {
				sw := st.stem(word)
				p.tf[sw] += w[j]
				seq = append(seq, sw)
			}
			p.length += w[j] * float64(len(seq))
			p.raw += float64(len(seq))
			p.seq = append(p.seq, seq)
		}
		ps[i] = p
	}

	// The query: its words (stop words are already gone) and their pairs.
	var qwords []string
	for _, t := range q.Terms {
		qwords = append(qwords, words(t)...)
	}
	for _, ph := range q.Phrases {
		qwords = append(qwords, words(ph)...)
	}
	terms := map[string]*rescoreTerm{}
	var order []string
	for _, word := range qwords {
		sw := st.stem(word)
		if t, ok := terms[sw]; ok {
			t.weight++
			continue
		}
		terms[sw] = &rescoreTerm{stem: sw, expr: quote(word), weight: 1}
		order = append(order, sw)
	}
	qterms := make([]rescoreTerm, 0, len(order))
	for _, sw := range order {
		qterms = append(qterms, *terms[sw])
	}
	var pairs []rescoreTerm
	if s.opt.On(StageProximity) {
		for i := 0; i+1 < len(qwords) && len(pairs) < 12; i++ {
			a, b := st.stem(qwords[i]), st.stem(qwords[i+1])
			if a != b {
				pairs = append(pairs, rescoreTerm{stem: a + " " + b, expr: quote(qwords[i] + " " + qwords[i+1]), weight: 1})
			}
		}
	}

	scores, err := s.bm25f(ctx, ps, qterms, pairs, 1)
	if err != nil {
		return nil, err
	}
	if s.opt.On(StagePRF) {
		expanded := s.rm3(ps, scores, qterms, st)
		if len(expanded) > len(qterms) {
			if scores, err = s.bm25f(ctx, ps, expanded, pairs, 1/float64(len(qwords))); err != nil {
				return nil, err
			}
		}
	}
	out := append([]Candidate(nil), base...)
	for i := range out {
		if ps[i] != nil {
			out[i].Score = scores[i]
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

// bm25f scores every passage for the terms, plus the proximity weight ×
// (pairScale) × the BM25 of the word pairs found side by side.
func (s *Searcher) bm25f(ctx context.Context, ps []*passage, terms, pairs []rescoreTerm, pairScale float64) ([]float64, error) {
	st := s.lexStats
	const k1, b = 1.2, 0.75
	idf := func(expr string) (float64, error) {
		df, err := st.docFreq(ctx, s.db, expr)
		if err != nil {
			return 0, err
		}
		return math.Log(1 + (st.rows-df+0.5)/(df+0.5)), nil
	}
	scores := make([]float64, len(ps))
	for _, t := range terms {
		v, err := idf(t.expr)
		if err != nil {
			return nil, err
		}
		for i, p := range ps {
			if p == nil {
				continue
			}
			if tf := p.tf[t.stem]; tf > 0 {
				scores[i] += t.weight * v * tf * (k1 + 1) / (tf + k1*(1-b+b*p.length/st.avgLen))
			}
		}
	}
	if len(pairs) == 0 {
		return scores, nil
	}
	weight := s.opt.ProximityWeight * pairScale
	for _, pr := range pairs {
		a, bb, _ := strings.Cut(pr.stem, " ")
		var v float64
		for i, p := range ps {
			if p == nil || p.tf[a] == 0 || p.tf[bb] == 0 {
				continue
			}
			tf := 0.0
			for _, seq := range p.seq {
				for j := 0; j+1 < len(seq); j++ {
					if seq[j] == a && seq[j+1] == bb {
						tf++
					}
				}
			}
			if tf == 0 {
				continue
			}
			if v == 0 {
				var err error
				if v, err = idf(pr.expr); err != nil {
					return nil, err
				}
			}
			scores[i] += weight * v * tf * (k1 + 1) / (tf + k1*(1-b+b*p.raw/st.avgRaw))
		}
	}
	return scores, nil
}

// rm3 adds RM3 feedback terms to the query: the best PRFDocs passages
// vote for their words in proportion to their share of the score mass
// (softmax) and each word's share of the passage; the PRFTerms words with
// most votes join the query with weight 1−PRFKeep, the original words keep
// PRFKeep.
func (s *Searcher) rm3(ps []*passage, scores []float64, qterms []rescoreTerm, st *lexStats) []rescoreTerm {
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		if p != nil {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	idx = idx[:min(len(idx), s.opt.PRFDocs)]
	if len(idx) < 2 {
		return qterms
	}
	top := scores[idx[0]]
	var z float64
	for _, i := range idx {
		z += math.Exp(scores[i] - top)
	}
	votes := map[string]float64{}
	surface := map[string]string{}
	for _, i := range idx {
		pd := math.Exp(scores[i]-top) / z
		p := ps[i]
		for sw, tf := range p.tf {
			votes[sw] += pd * tf / p.length
		}
	}
	// An expansion term needs a word FTS5 can count: the first word of a
	// feedback passage with that stem.
	for _, i := range idx {
		for _, text := range ps[i].text {
			for _, word := range words(text) {
				if sw := st.stem(word); surface[sw] == "" {
					surface[sw] = word
				}
			}
		}
	}
	var cands []string
	for sw := range votes {
		if len(sw) < 2 || stopWords[sw] || extraStop[sw] || IsNumber(sw) {
			continue
		}
		cands = append(cands, sw)
	}
	sort.Slice(cands, func(a, b int) bool {
		return votes[cands[a]] > votes[cands[b]] || votes[cands[a]] == votes[cands[b]] && cands[a] < cands[b]
	})
	cands = cands[:min(len(cands), s.opt.PRFTerms)]
	var mass, qmass float64
	for _, sw := range cands {
		mass += votes[sw]
	}
	for _, t := range qterms {
		qmass += t.weight
	}
	keep := s.opt.PRFKeep
	out := make([]rescoreTerm, 0, len(qterms)+len(cands))
	at := map[string]int{}
	for _, t := range qterms {
		t.weight = keep * t.weight / qmass
		at[t.stem] = len(out)
		out = append(out, t)
	}
	for _, sw := range cands {
		wt := (1 - keep) * votes[sw] / mass
		if i, ok := at[sw]; ok {
			out[i].weight += wt
			continue
		}
		out = append(out, rescoreTerm{stem: sw, expr: quote(surface[sw]), weight: wt})
	}
	return out
}

// fields reads each candidate's title, heading and text.
func (s *Searcher) fields(ctx context.Context, cands []Candidate) (map[int64][3]string, error) {
	ids, marks := idArgs(cands)
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, d.title, c.heading, c.text
		FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN (`+marks+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("load candidates: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][3]string, len(cands))
	for rows.Next() {
		var id int64
		var f [3]string
		if err := rows.Scan(&id, &f[0], &f[1], &f[2]); err != nil {
			return nil, fmt.Errorf("load candidates: %w", err)
		}
		out[id] = f
	}
	return out, rows.Err()
}
