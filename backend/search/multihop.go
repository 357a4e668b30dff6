package search

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// entityIndex maps entity names to the documents that define them, from
// the entity index written at ingest: a document's title and its headings
// define entities (as in an encyclopedia, a notes vault with one note per
// topic, or wikilinked notes). It is loaded on first use and again when
// documents change.
type entityIndex struct {
	src entityReader

	mu     sync.Mutex
	sig    string
	byName map[string][]int64 // normalized name → documents
	maxLen int                // longest name, in words
	// first maps a name's first word to the lengths (bit n: n words) of
	// the names it begins: most capitalized words begin none, and are
	// passed over with one lookup.
	first map[string]uint16
}

func newEntityIndex(src entityReader) *entityIndex { return &entityIndex{src: src} }

// maxDefiners: a name that many documents define ("Early life") is a
// common heading, not an entity.
const maxDefiners = 5

// refresh reloads the index when the set of documents changed. sig is
// the store's EntitySignature if the caller has read it already (the
// query's rows are stamped with the same count), else "".
func (e *entityIndex) refresh(ctx context.Context, sig string) error {
	if sig == "" {
		var err error
		if sig, err = e.src.EntitySignature(ctx); err != nil {
			return err
		}
	}
	if sig == e.sig && e.byName != nil {
		return nil
	}
	defs, err := e.src.DefinedEntities(ctx)
	if err != nil {
		return err
	}
	e.set(defs, sig)
	return nil
}

// set indexes the entities the documents define, as of stamp sig.
func (e *entityIndex) set(defs []store.EntityDefiner, sig string) {
	by := map[string][]int64{}
	maxLen := 1
	for _, d := range defs {
		if text.IsStopWord(d.Name) || entity.Generic(d.Name) {
			continue
		}
		by[d.Name] = append(by[d.Name], d.DocID)
	}
	first := map[string]uint16{}
	for name, docs := range by {
		if len(docs) > maxDefiners {
			delete(by, name)
			continue
		}
		n := strings.Count(name, " ") + 1
		maxLen = max(maxLen, n)
		if n <= 8 {
			w, _, _ := strings.Cut(name, " ")
			first[w] |= 1 << n
		}
	}
	e.byName, e.maxLen, e.first, e.sig = by, min(maxLen, 8), first, sig
}

// mention is an entity named in a text.
type mention struct {
	name string
	docs []int64
	pos  int // word position in the text
}

// mentions finds the known entities a text names, longest match first. A
// one-word name must be capitalized in the text, so common words that are
// also titles do not count.
func (e *entityIndex) mentions(text string) []mention {
	// The words as snippets split them; each is lower-cased when a name
	// could start at it or run through it, not before.
	buf := spansOf(text)
	defer putSpans(buf)
	spans := *buf
	var low []string // non-ASCII text: each word lowered when first needed
	up := make([]bool, len(spans))
	for i, sp := range spans {
		if c := text[sp.start]; c < utf8.RuneSelf {
			up[i] = 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
			continue
		}
		r, _ := utf8.DecodeRuneInString(text[sp.start:sp.end])
		up[i] = unicode.IsUpper(r) || unicode.IsDigit(r)
	}
	// ASCII text lowers in place: one copy, and its words are slices of it.
	lowText := ""
	if isASCII(text) {
		lowText = strings.ToLower(text)
	} else {
		low = make([]string, len(spans))
	}
	word := func(i int) string {
		if lowText != "" {
			return lowText[spans[i].start:spans[i].end]
		}
		if low[i] == "" {
			low[i] = strings.ToLower(text[spans[i].start:spans[i].end])
		}
		return low[i]
	}
	var out []mention
	var name []byte
	for i := 0; i < len(spans); {
		if !up[i] {
			i++
			continue
		}
		matched := 0
		lens := e.first[word(i)]
		for n := min(e.maxLen, len(spans)-i); n >= 1 && lens != 0; n-- {
			if lens&(1<<n) == 0 {
				continue
			}
			name = name[:0]
			proper := true
			for k := range n {
				w := word(i + k)
				if !up[i+k] && !entity.IsConnector(w) {
					proper = false
					break
				}
				if k > 0 {
					name = append(name, ' ')
				}
				name = append(name, w...)
			}
			if !proper {
				continue
			}
			if docs, ok := e.byName[string(name)]; ok {
				out = append(out, mention{name: string(name), docs: docs, pos: i})
				matched = n
				break
			}
		}
		i += max(matched, 1)
	}
	return out
}

// multiHop follows entities: the best hits name other entities (bridges);
// the documents defining them are ranked against the query and returned as
// extra lists, hop after hop, until nothing new appears or the depth is
// reached. Each candidate records the bridge that led to it.
func (s *Searcher) multiHop(ctx context.Context, rows *chunkRows, q Query, f Filter, first []Candidate, depth int) ([]ranked, error) {
	e := s.entities
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.refresh(ctx, rows.stamp); err != nil {
		return nil, err
	}
	if len(e.byName) == 0 {
		return nil, nil
	}
	// A name too common in the vault (a keyword of the manual, a
	// country) links everything to everything: only rare names bridge.
	if s.opt.HopMaxShare > 0 {
		if err := s.lexStats.refresh(ctx, s.src, [3]float64{s.opt.TitleWeight, s.opt.HeadingWeight, s.opt.BodyWeight}); err != nil {
			return nil, err
		}
	}
	rare := func(name string) (bool, error) {
		if s.opt.HopMaxShare <= 0 {
			return true, nil
		}
		df, err := s.lexStats.docFreq(ctx, s.src, `"`+name+`"`)
		if err != nil || df > max(minRareLimit, s.opt.HopMaxShare*s.lexStats.figures().rows) {
			return false, err
		}
		if s.opt.HopCommonWords <= 0 || !strings.Contains(name, " ") {
			return true, nil
		}
		// A name made only of the vault's common words ("general purpose")
		// is a phrase, not a proper name: one rare word makes it a name.
		for _, w := range strings.Fields(name) {
			if entity.IsConnector(w) {
				continue
			}
			wdf, err := s.lexStats.docFreq(ctx, s.src, `"`+w+`"`)
			if err != nil {
				return false, err
			}
			if wdf <= max(minRareLimit, s.opt.HopCommonWords*s.lexStats.figures().rows) {
				return true, nil
			}
		}
		return false, nil
	}
	seeds := append([]Candidate(nil), first[:min(len(first), s.opt.HopSeeds)]...)
	// The seeds' texts are read with those of the first list's top: most
	// hits are among them, and need their texts next (one statement for
	// both).
	ahead := first[:min(len(first), max(len(seeds), rows.want))]
	if err := rows.load(ctx, ahead); err != nil {
		return nil, err
	}
	if err := rows.texts(ctx, ahead); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, c := range first {
		seen[c.ChunkID] = true
	}
	var lists []ranked
	weight := s.opt.HopWeight
	for hop := 1; hop <= min(s.opt.HopDepth, 3) && len(seeds) > 0; hop++ {
		if err := rows.load(ctx, seeds); err != nil {
			return nil, err
		}
		if err := rows.texts(ctx, seeds); err != nil {
			return nil, err
		}
		var bridgeDocs []int64
		via := map[int64]string{}
		seedOf := map[int64]int64{}
		for _, sd := range seeds {
			if sd.info == nil {
				continue
			}
			if s.opt.HopMaxList > 0 && sd.info.listShare() > s.opt.HopMaxList {
				// A contents page or a list names pages without saying how
				// they bear on each other: no bridge.
				continue
			}
			own := entity.Norm(sd.info.Title)
			var names []mention
			if ci := sd.info; !ci.mentionsKnown || ci.mentionsSig != e.sig {
				// A kept row (rowCache) keeps its names while the index
				// it was matched against stands.
				ci.mentions, ci.mentionsSig, ci.mentionsKnown = e.mentions(ci.text()), e.sig, true
			}
			for _, m := range sd.info.mentions {
				if m.name == own {
					continue
				}
				if ok, err := rare(m.name); err != nil {
					return nil, err
				} else if ok {
					names = append(names, m)
				}
			}
			// A passage that names many documents (a chapter's table of
			// contents, a book index, a list) is not a bridge: following all
			// of it gives every listed page a second vote.
			if s.opt.HopMaxNames > 0 && distinctDocs(names) > s.opt.HopMaxNames {
				continue
			}
			for _, m := range names {
				for _, d := range m.docs {
					if d == sd.info.DocID {
						continue
					}
					if _, ok := via[d]; !ok {
						via[d] = sd.info.Title + " → " + m.name
						seedOf[d] = sd.ChunkID
						bridgeDocs = append(bridgeDocs, d)
					}
				}
			}
		}
		if s.opt.HopCoMentions {
			// Passages that share a rare name with a seed: only where the
			// query's words reach them, as a light list of their own.
			co, err := s.coMentions(ctx, seeds)
			if err != nil {
				return nil, err
			}
			coVia := map[int64]string{}
			var coDocs []int64
			for _, c := range co {
				if _, ok := coVia[c.doc]; !ok && len(coDocs) < 200 {
					coVia[c.doc] = c.via
					coDocs = append(coDocs, c.doc)
				}
			}
			if len(coDocs) > 0 {
				cf := f
				cf.docIDs = coDocs
				found, err := s.lexical.Retrieve(ctx, q, cf, depth)
				if err != nil {
					return nil, err
				}
				if err := rows.load(ctx, found); err != nil {
					return nil, err
				}
				for i := range found {
					if found[i].info != nil {
						found[i].Via = "via " + coVia[found[i].info.DocID]
					}
				}
				lists = append(lists, ranked{name: fmt.Sprintf("comention%d", hop), weight: weight * s.opt.CoMentionWeight, cands: found})
			}
		}
		if len(bridgeDocs) == 0 {
			break
		}
		if len(bridgeDocs) > 200 {
			bridgeDocs = bridgeDocs[:200]
		}
		hf := f
		hf.docIDs = bridgeDocs
		found, err := s.lexical.Retrieve(ctx, q, hf, depth)
		if err != nil {
			return nil, err
		}
		// Bridges the query's words do not reach still count, after the rest.
		if err := rows.load(ctx, found); err != nil {
			return nil, err
		}
		reached := map[int64]bool{}
		for _, c := range found {
			if c.info != nil {
				reached[c.info.DocID] = true
			}
		}
		var missing []int64
		for _, d := range bridgeDocs {
			if !reached[d] {
				missing = append(missing, d)
			}
		}
		if !s.opt.HopQueryOnly {
			firstChunks, err := s.firstChunks(ctx, rows, missing)
			if err != nil {
				return nil, err
			}
			// These come by document id, not through the filtered
			// retriever: the filter (type, collection, date) applies here.
			if f.Collection != "" || !f.empty() { // empty() leaves collections to the vector index
				if firstChunks, err = s.keepMatching(ctx, firstChunks, f); err != nil {
					return nil, err
				}
			}
			found = append(found, firstChunks...)
		}
		// Everything the hop reached earns its weight (also what the query
		// found on its own); what is new seeds the next hop.
		var fresh []Candidate
		for i := range found {
			if found[i].info != nil {
				found[i].Via = "via " + via[found[i].info.DocID]
				found[i].seed = seedOf[found[i].info.DocID]
			}
			if !seen[found[i].ChunkID] {
				seen[found[i].ChunkID] = true
				fresh = append(fresh, found[i])
			}
		}
		if s.opt.HopFreshOnly {
			found = fresh // what the query found itself earns no second credit
		}
		lists = append(lists, ranked{name: fmt.Sprintf("hop%d", hop), weight: weight, cands: found})
		if len(fresh) == 0 {
			break
		}
		seeds = fresh[:min(len(fresh), s.opt.HopSeeds)]
		weight *= 0.5
	}
	return lists, nil
}

// firstChunks returns the first chunk of each document, in the given order.
func (s *Searcher) firstChunks(ctx context.Context, rows *chunkRows, docs []int64) ([]Candidate, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	byDoc, err := s.src.FirstChunks(ctx, docs)
	if err != nil {
		return nil, fmt.Errorf("bridge chunks: %w", err)
	}
	var out []Candidate
	for _, d := range docs {
		if c, ok := byDoc[d]; ok {
			out = append(out, Candidate{ChunkID: c})
		}
	}
	if err := rows.load(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// minRareLimit: in a small vault a name may match this many passages and
// still count as rare.
const minRareLimit = 20

// maxMentioners: a name mentioned in more chunks than this is too common to
// link two passages.
const maxMentioners = 20

type coMention struct {
	doc int64
	via string
}

// coMentions finds documents whose chunks name a rare entity that a seed
// names too (from the entity index): two passages about the same person or
// project, neither of which is titled with it.
func (s *Searcher) coMentions(ctx context.Context, seeds []Candidate) ([]coMention, error) {
	if len(seeds) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(seeds))
	title := map[int64]string{}
	for i, sd := range seeds {
		ids[i] = sd.ChunkID
		if sd.info != nil {
			title[sd.ChunkID] = sd.info.Title
		}
	}
	found, err := s.src.CoMentions(ctx, ids, maxMentioners)
	if err != nil {
		return nil, err
	}
	out := make([]coMention, 0, len(found))
	for _, m := range found {
		out = append(out, coMention{doc: m.DocID, via: title[m.ChunkID] + " → " + m.Name + " (named in both)"})
	}
	return out, nil
}

// distinctDocs counts the documents a passage's names point to.
func distinctDocs(ms []mention) int {
	seen := map[int64]bool{}
	for _, m := range ms {
		for _, d := range m.docs {
			seen[d] = true
		}
	}
	return len(seen)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
