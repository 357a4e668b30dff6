package search

import (
	"strings"
	"sync"
	"unicode"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// splitCache keeps candidate chunks split into lower-case words between
// queries: rescoring splits the same passages query after query, and the
// splitting was most of its own work. An entry serves only a chunk whose
// title, heading and text are the ones it was split from (compared in
// full), so a changed chunk, or a new one under a reused id, is split
// again.
type splitCache struct {
	mu    sync.Mutex
	bytes int
	byID  map[int64]*split
}

// splitCacheBytes bounds the cache (a vault whose postings keep its rows
// split uses it only while they are behind): past it, entries are
// dropped to make room.
const splitCacheBytes = 32 << 20

// split is one chunk's fields, split into words and numbered by a
// vocabulary (see vocab).
type split struct {
	fields [3]string // title, heading, text, as split
	voc    *vocab    // the vocabulary the ids are from
	// Each word's id and its stem's, field by field.
	wid, sid [3][]uint32
	// The title without its label and the heading's last step (see
	// rescoreLexical), and their words when they hold no identifiers:
	// those are split per query, which may name them.
	own      [2]string
	ownWords [2]ownField
	plain    [2]bool

	listOnce sync.Once
	list     float64
	sim      uint64 // SimHash of the text, in a kept split (Forward.Row)
	// In a kept split: the row as the store held it, without its text
	// (nil for a row whose chunk was gone), and the share of Latin
	// letters in its title and text.
	meta  *store.SearchChunk
	latin float64
}

// ownField is a title's or heading's words: each one's stem id, and
// whether it is a content word (no stop word, and some letter in it).
type ownField struct {
	sid     []uint32
	content []bool
}

func newOwnField(voc *vocab, s string) ownField {
	words := text.AppendWords(nil, strings.ToLower(s))
	f := ownField{content: make([]bool, len(words))}
	_, f.sid = voc.add(words, false, true)
	for i, w := range words {
		f.content[i] = !text.IsStopWord(w) && strings.IndexFunc(w, unicode.IsLetter) >= 0
	}
	return f
}

// newSplit splits the fields; withWords keeps each word's id too, not
// only its stem's.
func newSplit(voc *vocab, f [3]string, withWords bool) *split {
	sp := &split{fields: f, voc: voc}
	var words []string
	for j, field := range f {
		words = text.AppendWords(words[:0], strings.ToLower(field))
		sp.wid[j], sp.sid[j] = voc.add(words, withWords, true)
	}
	sp.own[0] = bookLabel.ReplaceAllString(f[0], "")
	sp.own[1] = f[1]
	if k := strings.LastIndex(f[1], " > "); k >= 0 {
		sp.own[1] = f[1][k+3:]
	}
	for i, own := range sp.own {
		if !identifiers.MatchString(own) {
			sp.plain[i], sp.ownWords[i] = true, newOwnField(voc, own)
		}
	}
	return sp
}

// size estimates the bytes an entry holds: the fields and eight bytes a
// word.
func (sp *split) size() int {
	n := 256
	for j, f := range sp.fields {
		n += len(f) + 8*len(sp.wid[j])
	}
	return n + 5*(len(sp.ownWords[0].sid)+len(sp.ownWords[1].sid))
}

// ownWordsFor are the words of the title without its label (i 0) or of the
// heading's last step (i 1), with identifiers the query does not name
// taken out by unnamed.
func (sp *split) ownWordsFor(i int, unnamed func(string) string) ownField {
	if sp.plain[i] {
		return sp.ownWords[i]
	}
	return newOwnField(sp.voc, unnamed(sp.own[i]))
}

// listShare is listShare of the chunk's text, computed once.
func (sp *split) listShare() float64 {
	sp.listOnce.Do(func() { sp.list = listShare(sp.fields[2]) })
	return sp.list
}

// get is the chunk's split, from the cache while its fields are unchanged
// and it was numbered by voc.
func (c *splitCache) get(voc *vocab, id int64, f [3]string) *split {
	c.mu.Lock()
	sp, ok := c.byID[id]
	c.mu.Unlock()
	if ok && sp.fields == f && sp.voc == voc {
		return sp
	}
	sp = newSplit(voc, f, true)
	size := sp.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[int64]*split{}
	}
	if old, ok := c.byID[id]; ok {
		c.bytes -= old.size()
		delete(c.byID, id)
	}
	for k, old := range c.byID { // in the map's own, random, order
		if c.bytes+size <= splitCacheBytes {
			break
		}
		c.bytes -= old.size()
		delete(c.byID, k)
	}
	c.byID[id], c.bytes = sp, c.bytes+size
	return sp
}
