package search

import (
	"strings"
	"sync"

	"github.com/hoardvault/hoard/backend/text"
)

// vocab numbers the words rescoring meets and their Porter2 stems. A kept
// split holds a word's numbers instead of the word, so a query counts its
// terms in a candidate by comparing numbers: no word of a candidate is
// hashed or stemmed twice, query after query.
type vocab struct {
	mu     sync.Mutex
	byWord map[string]uint32 // lower-case word → word id
	words  []string          // word id → word
	stemOf []uint32          // word id → stem id
	byStem map[string]uint32 // stem → stem id
	stems  []string          // stem id → stem
}

// maxVocabWords bounds a vocabulary: past it the searcher starts a new one
// (splits made with the old one are split again as they are met).
const maxVocabWords = 1 << 20

func newVocab() *vocab {
	return &vocab{byWord: map[string]uint32{}, byStem: map[string]uint32{}}
}

// bytes estimates what the vocabulary holds: each word and stem, its
// string header and id, and a map slot's share.
func (v *vocab) bytes() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := int64(len(v.words))*(16+4+16+4+8) + int64(len(v.stems))*(16+16+4+8)
	for _, w := range v.words {
		n += int64(len(w))
	}
	for _, s := range v.stems {
		n += int64(len(s))
	}
	return n
}

// full reports whether the vocabulary has reached its bound.
func (v *vocab) full() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.words) >= maxVocabWords
}

// add numbers the words: each one's id (when words is set) and its
// stem's (when stems is), adding the words it does not hold.
func (v *vocab) add(words []string, wantWords, wantStems bool) (wid, sid []uint32) {
	if wantWords {
		wid = make([]uint32, 0, len(words))
	}
	if wantStems {
		sid = make([]uint32, 0, len(words))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, w := range words {
		id := v.wordLocked(w)
		if wantWords {
			wid = append(wid, id)
		}
		if wantStems {
			sid = append(sid, v.stemOf[id])
		}
	}
	return wid, sid
}

func (v *vocab) wordLocked(w string) uint32 {
	if id, ok := v.byWord[w]; ok {
		return id
	}
	// A word is usually a piece of a whole lower-cased text: a copy keeps
	// the vocabulary from holding the text.
	w = strings.Clone(w)
	st := text.Stem(w)
	sid, ok := v.byStem[st]
	if !ok {
		sid = uint32(len(v.stems))
		v.byStem[st] = sid
		v.stems = append(v.stems, st)
	}
	id := uint32(len(v.words))
	v.byWord[w] = id
	v.words = append(v.words, w)
	v.stemOf = append(v.stemOf, sid)
	return id
}

// stemID is the id of a lower-case word's stem.
func (v *vocab) stemID(w string) uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stemOf[v.wordLocked(w)]
}

// stem is the stem with this id.
func (v *vocab) stem(sid uint32) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stems[sid]
}

// word is the word with this id.
func (v *vocab) word(id uint32) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.words[id]
}

// termSet finds a stem id among a query's few terms: a 1,024-bit mask
// turns away nearly every word of a passage before the terms are
// compared (with 64 bits and ten query stems, about one word in seven
// would get through to the loop).
type termSet struct {
	mask [16]uint64
	ids  []uint32
}

func newTermSet(ids []uint32) termSet {
	t := termSet{ids: ids}
	for _, id := range ids {
		t.mask[id>>6&15] |= 1 << (id & 63)
	}
	return t
}

// index is the term's position among the ids, or -1.
func (t termSet) index(sid uint32) int {
	if t.mask[sid>>6&15]&(1<<(sid&63)) == 0 {
		return -1
	}
	for k, id := range t.ids {
		if id == sid {
			return k
		}
	}
	return -1
}
