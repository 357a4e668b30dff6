package search

import (
	"context"
	"sync/atomic"

	"github.com/hoardvault/hoard/backend/store"
)

// Forward numbers the words of every full-text row as the in-memory
// postings are built (postings.Index.Keep), so that rescoring a vault
// just opened reads no candidate's text: splitting and stemming the
// candidates of each new query was half of its time. A vault keeps one,
// shared by the searchers it makes, since the numbers are its
// vocabulary's.
type Forward struct {
	voc atomic.Pointer[vocab]
}

func NewForward() *Forward { return &Forward{} }

// vocab is the vocabulary rows and queries are numbered by, a new one
// once the last is full (rows numbered by the old one are split again as
// queries meet them).
func (f *Forward) vocab() *vocab {
	v := f.voc.Load()
	if v != nil && !v.full() {
		return v
	}
	if nv := newVocab(); f.voc.CompareAndSwap(v, nv) {
		return nv
	}
	return f.voc.Load()
}

// Row is a row's split, without its text: its words' stem ids, its own
// title and heading, and its list share. It is postings.Index.Keep.
func (f *Forward) Row(r store.LexicalRow) (any, int) {
	sp := newSplit(f.vocab(), [3]string{r.Title, r.Heading, r.Body})
	sp.listShare()
	sp.fields, sp.wid = [3]string{}, [3][]uint32{}
	n := 160 + len(sp.own[0]) + len(sp.own[1]) + 5*(len(sp.ownWords[0].sid)+len(sp.ownWords[1].sid))
	for _, ids := range sp.sid {
		n += 4 * len(ids)
	}
	return sp, n
}

// forwardSource is a Reader whose in-memory postings keep a Forward's
// rows: Kept gives them for chunk ids (nil where a row is not held), ok
// false when the postings are behind the vault.
type forwardSource interface {
	Forward() *Forward
	Kept(ctx context.Context, ids []int64) (rows []any, ok bool, err error)
}

// keptSplits are the candidates' kept splits numbered by voc (nil where
// there is none).
func (s *Searcher) keptSplits(ctx context.Context, voc *vocab, cands []Candidate) ([]*split, error) {
	if s.kept == nil {
		return nil, nil
	}
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.ChunkID
	}
	rows, ok, err := s.kept.Kept(ctx, ids)
	if err != nil || !ok {
		return nil, err
	}
	out := make([]*split, len(cands))
	for i, r := range rows {
		if sp, _ := r.(*split); sp != nil && sp.voc == voc {
			out[i] = sp
		}
	}
	return out, nil
}
