package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
)

// A chunk's text of format packDict is deflated against a dictionary of
// the vault (pack_dicts, migration 0017): a BLOB of the format byte, the
// dictionary's id (uvarint), the text's length in bytes (uvarint) and the
// deflate stream. On SciFact's abstracts a dictionary of 16 KiB of the
// vault's frequent words packs the text to 78% of what deflate alone
// reaches.
const (
	packDict = 2
	// dictSample is how much chunk text a dictionary is learned from, and
	// dictSize its size: larger ones gain a little more and cost more to
	// load into the compressor for every chunk.
	dictSample = 128 << 10
	dictSize   = 16 << 10
	// dictLevel: deflate's fastest level ignores a dictionary, and the
	// greedy ones (2, 3) miss the longer match a byte on: lazy matching
	// packs SciFact's chunks 3.5% smaller at the same speed (loading the
	// dictionary is most of a passage's time); above 5 gains nothing more.
	dictLevel = 5
)

// dictionary is one of the vault's; immutable once made.
type dictionary struct {
	id   int64
	data []byte
}

// dictionaries are the vault's, by id, and the one new text is packed
// with. Until a vault has one, the text packed is sampled, and the
// dictionary is learned once the sample is large enough.
type dictionaries struct {
	db     *sql.DB
	mu     sync.Mutex
	byID   map[int64]*dictionary
	cur    *dictionary
	sample []string
	size   int
}

func newDictionaries(ctx context.Context, db *sql.DB) (*dictionaries, error) {
	d := &dictionaries{db: db, byID: map[int64]*dictionary{}}
	err := eachRow(ctx, db, `SELECT id, dict FROM pack_dicts ORDER BY id`, nil, func(rows *sql.Rows) error {
		x := &dictionary{}
		if err := rows.Scan(&x.id, &x.data); err != nil {
			return err
		}
		d.byID[x.id] = x
		if d.cur == nil {
			d.cur = x
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("text dictionaries: %w", err)
	}
	return d, nil
}

// learnStored learns a dictionary from the text a vault already holds,
// when it has none: one grown by many small additions (each process
// samples only what it packs) or converted from before 0017. It is stored
// with the first text packed with it.
func (d *dictionaries) learnStored(ctx context.Context) error {
	if d.cur != nil {
		return nil
	}
	var sample []string
	size := 0
	rows, err := d.db.QueryContext(ctx, `SELECT text FROM chunks ORDER BY id`)
	if err != nil {
		return fmt.Errorf("text dictionaries: %w", err)
	}
	defer rows.Close()
	for size < dictSample && rows.Next() {
		var t string
		if err := rows.Scan(chunkText(d, &t)); err != nil {
			return fmt.Errorf("text dictionaries: %w", err)
		}
		sample = append(sample, t)
		size += len(t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("text dictionaries: %w", err)
	}
	if size >= dictSample {
		d.cur = learnDictionary(sample)
		d.byID[d.cur.id] = d.cur
	}
	return nil
}

// get finds a dictionary; one another process stored since this one
// looked is read then.
func (d *dictionaries) get(id int64) (*dictionary, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: no dictionaries", errPacked)
	}
	d.mu.Lock()
	x := d.byID[id]
	d.mu.Unlock()
	if x != nil {
		return x, nil
	}
	x = &dictionary{id: id}
	if err := d.db.QueryRowContext(context.Background(), `SELECT dict FROM pack_dicts WHERE id = ?`, id).Scan(&x.data); err != nil {
		return nil, fmt.Errorf("%w: dictionary %d: %w", errPacked, id, err)
	}
	d.mu.Lock()
	d.byID[id] = x
	d.mu.Unlock()
	return x, nil
}

// forPacking is the dictionary c's text is packed with, nil while none is
// learned yet (c's text then goes into the sample).
func (d *dictionaries) forPacking(c *Content) *dictionary {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur != nil {
		return d.cur
	}
	for _, ch := range c.Chunks {
		if d.size < dictSample {
			d.sample = append(d.sample, ch.Text)
			d.size += len(ch.Text)
		}
	}
	if d.size >= dictSample {
		d.cur = learnDictionary(d.sample)
		d.byID[d.cur.id] = d.cur
		d.sample = nil
	}
	return nil
}

// learnDictionary makes a dictionary of the sample's most frequent words,
// weighed by what a reference to each saves (count × length), the most
// valuable last: deflate reaches the end of its window most cheaply.
func learnDictionary(sample []string) *dictionary {
	count := map[string]int{}
	for _, t := range sample {
		for _, w := range strings.Fields(t) {
			count[w]++
		}
	}
	type word struct {
		w     string
		value int
	}
	var words []word
	for w, n := range count {
		if n > 1 && len(w) > 2 {
			words = append(words, word{w, n * len(w)})
		}
	}
	sort.Slice(words, func(i, j int) bool {
		if words[i].value != words[j].value {
			return words[i].value > words[j].value
		}
		return words[i].w < words[j].w
	})
	size, n := 0, 0
	for ; n < len(words) && size+len(words[n].w)+1 <= dictSize; n++ {
		size += len(words[n].w) + 1
	}
	var b bytes.Buffer
	for i := n - 1; i >= 0; i-- {
		b.WriteString(words[i].w)
		b.WriteByte(' ')
	}
	h := fnv.New32a()
	h.Write(b.Bytes())
	return &dictionary{id: int64(h.Sum32()), data: b.Bytes()}
}

// current is the dictionary new text is packed with, if any yet.
func (d *dictionaries) current() *dictionary {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}

// Pack is Content.Pack with the vault's dictionary, for ingestion's
// workers.
func (s *Store) Pack(c *Content) {
	c.pack(s.dicts.forPacking(c))
}

// saveDictionary stores the dictionary a document's text was packed with,
// in the transaction that stores the text; once per transaction.
func saveDictionary(ctx context.Context, tx sqlTx, x *dictionary) error {
	if x == nil {
		return nil
	}
	st, ok := tx.(*stmtTx)
	if ok && st.dicts[x.id] {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO pack_dicts (id, dict) VALUES (?, ?)`, x.id, x.data); err != nil {
		return fmt.Errorf("text dictionary: %w", err)
	}
	if ok {
		if st.dicts == nil {
			st.dicts = map[int64]bool{}
		}
		st.dicts[x.id] = true
	}
	return nil
}
