package search

import (
	"context"
	"sync/atomic"

	"github.com/hoardvault/hoard/backend/internal/script"
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

// NewForward makes a Forward; its vocabulary starts with the first row.
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

// Bytes estimates the memory the vocabulary holds (the rows' splits are
// counted with the postings that keep them).
func (f *Forward) Bytes() int64 {
	if v := f.voc.Load(); v != nil {
		return v.bytes()
	}
	return 0
}

// Row is a row's split, without its text: its words' stem ids, its own
// title and heading, its list share and SimHash. It is
// postings.Index.Keep.
func (f *Forward) Row(r store.LexicalRow) (any, int) {
	sp := newSplit(f.vocab(), [3]string{r.Title, r.Heading, r.Body}, false)
	sp.listShare()
	sp.sim = simHash(r.Body)
	sp.latin = script.LatinShare(1000, r.Title, r.Body)
	sp.fields = [3]string{}
	sp.meta = r.Meta
	n := 160 + len(sp.own[0]) + len(sp.own[1]) + 5*(len(sp.ownWords[0].sid)+len(sp.ownWords[1].sid))
	if m := r.Meta; m != nil {
		// The strings it shares with the row are counted once; its text
		// is held as stored (packed), the row's words having been taken.
		n += 200 + len(m.Path) + m.Text.Stored()
	}
	for _, ids := range sp.sid {
		n += 4 * len(ids)
	}
	return sp, n
}

// forwardSource is a Reader whose in-memory postings keep a Forward's
// rows: Kept looks them up by chunk id (nil where a row is not held), ok
// false when the postings are behind the vault.
type forwardSource interface {
	Forward() *Forward
	Kept(ctx context.Context) (lookup func(chunk int64) any, ok bool, err error)
}

// rowsStamper is a forwardSource that says under which ChunkRowsStamp its
// kept rows were read: their Meta serves a query that read the same.
type rowsStamper interface {
	KeptRowsStamp() string
}

// keepSplits lets the query's rows give their kept splits (chunkRows.split).
func (s *Searcher) keepSplits(ctx context.Context, rows *chunkRows) error {
	rows.voc = s.fwd.vocab()
	if s.kept == nil {
		return nil
	}
	lookup, ok, err := s.kept.Kept(ctx)
	if err != nil || !ok {
		return err
	}
	rows.splits = func(id int64) *split {
		sp, _ := lookup(id).(*split)
		return sp
	}
	if rs, ok := s.kept.(rowsStamper); ok && rows.stamp != "" && rs.KeptRowsStamp() == rows.stamp {
		rows.meta = true
	}
	return nil
}
