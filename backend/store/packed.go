package store

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// A chunk's text is stored deflated (migration 0015): a BLOB of one format
// byte, the text's length in bytes (uvarint) and the raw deflate stream.
// A TEXT value is text as it is: a row from before, or a text too short to
// gain. SQLite's storage class tells the two apart, so the column needs no
// flag; readers go through textScan.
const (
	packDeflate = 1
	// packMin is the shortest text worth packing: below it the stream's
	// own overhead eats the gain.
	packMin = 64
	// packLevel: on ~1 KB passages the levels above it gain under 4% of
	// the size and cost twice the time (and the writer's hash tables are
	// cleared on every reset).
	packLevel = flate.BestSpeed
)

// Packers are reused (a pool: they hold no state between uses): a new
// flate writer allocates about a megabyte, and ingestion packs every
// chunk.
var packers = sync.Pool{New: func() any { return new(packer) }}

// packText is what the chunks.text column gets for text: a packed BLOB
// ([]byte), or the text itself (string) when packing would not save.
func packText(text string) any { return packTextWith(text, nil) }

// packTextWith packs text against a dictionary of the vault's (nil: none).
func packTextWith(text string, dict *dictionary) any {
	p := packers.Get().(*packer)
	defer packers.Put(p)
	return p.packWith(text, dict)
}

// packer packs texts with one flate writer, and one for the dictionary
// last used; a long job (an import) keeps its own rather than the pool's,
// which a collection empties.
type packer struct {
	w    *flate.Writer
	dw   *flate.Writer // starts from dict's words
	dict *dictionary
	buf  bytes.Buffer // scratch: what is returned is a copy of its size
}

func (p *packer) pack(text string) any { return p.packWith(text, nil) }

func (p *packer) packWith(text string, dict *dictionary) any {
	if len(text) < packMin {
		return text
	}
	p.buf.Reset()
	w := p.w
	if dict == nil {
		p.buf.WriteByte(packDeflate)
		if p.w == nil {
			p.w, _ = flate.NewWriter(nil, packLevel) // err only for a bad level
		}
		w = p.w
	} else {
		p.buf.WriteByte(packDict)
		p.buf.Write(binary.AppendUvarint(nil, uint64(dict.id)))
		if p.dict != dict {
			p.dw, _ = flate.NewWriterDict(nil, dictLevel, dict.data)
			p.dict = dict
		}
		w = p.dw
	}
	p.buf.Write(binary.AppendUvarint(nil, uint64(len(text))))
	w.Reset(&p.buf)
	if _, err := io.WriteString(w, text); err != nil {
		return text // a bytes.Buffer does not fail; keep the text if it did
	}
	if err := w.Close(); err != nil || p.buf.Len() >= len(text) {
		return text
	}
	return bytes.Clone(p.buf.Bytes())
}

// errPacked marks a packed text that cannot be read back.
var errPacked = errors.New("damaged packed text")

// packedHeader reads a packed text's header: its dictionary's id (has
// false for none), its length, and where the deflate stream begins.
func packedHeader(b []byte) (dictID uint64, has bool, n uint64, body []byte, err error) {
	if len(b) == 0 || (b[0] != packDeflate && b[0] != packDict) {
		return 0, false, 0, nil, fmt.Errorf("%w: format %v", errPacked, b[:min(1, len(b))])
	}
	rest := b[1:]
	if b[0] == packDict {
		id, k := binary.Uvarint(rest)
		if k <= 0 {
			return 0, false, 0, nil, fmt.Errorf("%w: dictionary", errPacked)
		}
		dictID, has, rest = id, true, rest[k:]
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(64*len(b))+1024 {
		return 0, false, 0, nil, fmt.Errorf("%w: length", errPacked)
	}
	return dictID, has, n, rest[k:], nil
}

// unpackText reads back what packText wrote; dicts has the vault's
// dictionaries.
func unpackText(b []byte, dicts *dictionaries) (string, error) {
	id, has, n, body, err := packedHeader(b)
	if err != nil {
		return "", err
	}
	var dict []byte
	if has {
		x, err := dicts.get(int64(id))
		if err != nil {
			return "", err
		}
		dict = x.data
	}
	return inflate(body, dict, int(n))
}

// textScan scans a chunks.text value, packed or not, into a string.
type textScan struct {
	dst   *string
	dicts *dictionaries
}

// chunkText wraps a destination for Scan.
func chunkText(dicts *dictionaries, dst *string) sql.Scanner { return textScan{dst, dicts} }

func (t textScan) Scan(src any) error {
	v, err := scanChunkText(src, t.dicts, false)
	if err == nil {
		*t.dst, err = v.Unpack()
	}
	return err
}

// scanChunkText is a chunks.text value, packed or not, as a ChunkText;
// keep copies a BLOB, whose bytes the driver reuses after the row.
func scanChunkText(src any, dicts *dictionaries, keep bool) (ChunkText, error) {
	switch v := src.(type) {
	case nil:
		return ChunkText{}, nil
	case string:
		return ChunkText{plain: v}, nil
	case []byte:
		if len(v) == 0 {
			return ChunkText{}, fmt.Errorf("%w: format []", errPacked)
		}
		if keep {
			v = bytes.Clone(v)
		}
		return ChunkText{packed: v, dicts: dicts}, nil
	}
	return ChunkText{}, fmt.Errorf("chunk text: unexpected %T", src)
}

// ChunkText is a chunk's text as the store holds it, unpacked only when
// asked (Unpack): a query reads dozens of candidates and needs the text of
// a few, the rest being ranked from words kept in memory.
type ChunkText struct {
	plain  string // a TEXT value
	packed []byte // a packed BLOB, or nil
	dicts  *dictionaries
}

// PlainText is a text that needs no unpacking.
func PlainText(s string) ChunkText { return ChunkText{plain: s} }

// Unpack is the text; a damaged packed text gives an error wrapping
// errPacked.
func (t ChunkText) Unpack() (string, error) {
	if t.packed == nil {
		return t.plain, nil
	}
	return unpackText(t.packed, t.dicts)
}

// Len is the text's length in bytes (read from a packed text's header:
// 0 when that is damaged).
func (t ChunkText) Len() int {
	if t.packed == nil {
		return len(t.plain)
	}
	_, _, n, _, err := packedHeader(t.packed)
	if err != nil {
		return 0
	}
	return int(n)
}

// Stored is how many bytes the value takes as held.
func (t ChunkText) Stored() int { return len(t.plain) + len(t.packed) }

// lazyScan scans a chunks.text value into a ChunkText, unpacked later.
type lazyScan struct {
	dst   *ChunkText
	dicts *dictionaries
}

func (t lazyScan) Scan(src any) (err error) {
	*t.dst, err = scanChunkText(src, t.dicts, true)
	return err
}

// packBatch is how many chunks one transaction of packTexts converts.
const packBatch = 500

// packTexts packs the chunk texts still stored as TEXT (a vault from before
// migration 0015, rows another writer left plain) and says how many it
// packed. Each batch is its own transaction: a crash keeps what was done,
// and the next open goes on. A text that does not gain stays as it is.
func (s *Store) packTexts(ctx context.Context) (int, error) {
	n := 0
	var after int64
	for {
		var seen int
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, text FROM chunks WHERE typeof(text) = 'text' AND length(text) >= 64 AND id > ?
				ORDER BY id LIMIT ?`, after, packBatch)
			if err != nil {
				return err
			}
			type row struct {
				id   int64
				text string
			}
			var todo []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.text); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			st := newStmtTx(tx)
			dict := s.dicts.current()
			if err := saveDictionary(ctx, st, dict); err != nil {
				return err
			}
			for _, r := range todo {
				after = r.id
				v, ok := packTextWith(r.text, dict).([]byte)
				if !ok {
					continue
				}
				if _, err := st.ExecContext(ctx, `UPDATE chunks SET text = ? WHERE id = ?`, v, r.id); err != nil {
					return err
				}
				n++
			}
			seen = len(todo)
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("pack chunk text: %w", err)
		}
		if seen == 0 {
			return n, nil
		}
	}
}

// A gist that repeats its document's sentences is stored as references:
// a format byte, then items, each a span of the document's text
// (uvarint offset+1, uvarint length, in bytes) or a literal (0, uvarint
// length, the bytes), which concatenated are the gist.
const (
	gistRefs = 1
	// minSpan is the shortest span worth a reference rather than a literal.
	minSpan = 8
)

// packGist is what gists.gist gets for an extractive gist of text: its
// references (a BLOB), or the gist itself when they would not be shorter.
func packGist(gist, text string) any {
	out := []byte{gistRefs}
	lit := -1 // where the literal being gathered starts in gist
	flush := func(end int) {
		if lit >= 0 {
			out = append(out, 0)
			out = binary.AppendUvarint(out, uint64(end-lit))
			out = append(out, gist[lit:end]...)
			lit = -1
		}
	}
	for p := 0; p < len(gist); {
		// The longest prefix of the rest found in the text: if a prefix is
		// found, every shorter one is too.
		lo, hi := 0, len(gist)-p
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if strings.Contains(text, gist[p:p+mid]) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if lo < minSpan {
			if lit < 0 {
				lit = p
			}
			p++
			continue
		}
		flush(p)
		out = binary.AppendUvarint(out, uint64(strings.Index(text, gist[p:p+lo])+1))
		out = binary.AppendUvarint(out, uint64(lo))
		p += lo
	}
	flush(len(gist))
	if len(out) >= len(gist) {
		return gist
	}
	return out
}

// unpackGist reads back a gist packGist wrote against text.
func unpackGist(b []byte, text string) (string, error) {
	if len(b) == 0 || b[0] != gistRefs {
		return "", fmt.Errorf("%w: gist format %v", errPacked, b[:min(1, len(b))])
	}
	var sb strings.Builder
	for b = b[1:]; len(b) > 0; {
		var at, n uint64
		var ok bool
		if at, n, b, ok = refItem(b); !ok {
			return "", fmt.Errorf("%w: gist", errPacked)
		}
		switch {
		case at == 0 && n <= uint64(len(b)):
			sb.Write(b[:n])
			b = b[n:]
		case at > 0 && at-1 <= uint64(len(text)) && n <= uint64(len(text))-(at-1):
			sb.WriteString(text[at-1 : at-1+n])
		default:
			return "", fmt.Errorf("%w: gist reference out of its text", errPacked)
		}
	}
	return sb.String(), nil
}

// refItem reads the head of a reference or literal of packGist's and
// packKeyphrases' forms: the two uvarints that start it.
func refItem(b []byte) (tag, n uint64, rest []byte, ok bool) {
	tag, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, 0, nil, false
	}
	n, j := binary.Uvarint(b[k:])
	if j <= 0 {
		return 0, 0, nil, false
	}
	return tag, n, b[k+j:], true
}

// gistScan scans a gists.gist value: a TEXT gist as it is, references kept
// for unpackGist (they need the document's text).
type gistScan struct {
	text *string
	refs *[]byte
}

func (g gistScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*g.text = ""
	case string:
		*g.text = v
	case []byte:
		*g.refs = bytes.Clone(v)
	default:
		return fmt.Errorf("gist: unexpected %T", src)
	}
	return nil
}

// An extractive gist's keyphrases are words of its title and text, lower-
// cased: they are stored as references to them too, a format byte and
// then, for each phrase of the list (", " between them), a reference
// (uvarint 2·offset+lower+1 into title + "\n" + text, uvarint length in
// bytes; lower: the span is read lower-cased) or a literal (0, uvarint
// length, the bytes).
const keysRefs = 1

// keysSep is what separates keyphrases (derive writes them so).
const keysSep = ", "

// keysBase is what keyphrase references point into.
func keysBase(title, text string) string { return title + "\n" + text }

// packKeyphrases is what gists.keyphrases gets for an extractive gist's
// keyphrases: their references (a BLOB), or the keyphrases themselves when
// the references would not be shorter.
func packKeyphrases(keys, title, text string) any {
	if keys == "" {
		return keys
	}
	base := keysBase(title, text)
	var lower string // base lower-cased, when that keeps its offsets
	lowered := false
	out := []byte{keysRefs}
	for _, p := range strings.Split(keys, keysSep) {
		at, low := strings.Index(base, p), 0
		if at < 0 && p != "" {
			if !lowered {
				lowered = true
				if l := strings.ToLower(base); len(l) == len(base) {
					lower = l
				}
			}
			// An offset found lower-cased is kept only if the span there
			// reads lower-cased as the phrase (a rune's case may change
			// its length where the whole text's does not).
			if i := strings.Index(lower, p); i >= 0 && strings.ToLower(base[i:i+len(p)]) == p {
				at, low = i, 1
			}
		}
		ref := binary.AppendUvarint(nil, uint64(2*at+low+1))
		ref = binary.AppendUvarint(ref, uint64(len(p)))
		if at >= 0 && len(ref) < len(p)+2 {
			out = append(out, ref...)
			continue
		}
		out = append(out, 0)
		out = binary.AppendUvarint(out, uint64(len(p)))
		out = append(out, p...)
	}
	if len(out) >= len(keys) {
		return keys
	}
	return out
}

// unpackKeyphrases reads back what packKeyphrases wrote against a
// document's title and text.
func unpackKeyphrases(b []byte, title, text string) (string, error) {
	if len(b) == 0 || b[0] != keysRefs {
		return "", fmt.Errorf("%w: keyphrases format %v", errPacked, b[:min(1, len(b))])
	}
	base := keysBase(title, text)
	var sb strings.Builder
	for b, first := b[1:], true; len(b) > 0; first = false {
		var tag, n uint64
		var ok bool
		if tag, n, b, ok = refItem(b); !ok {
			return "", fmt.Errorf("%w: keyphrases", errPacked)
		}
		if !first {
			sb.WriteString(keysSep)
		}
		at := (tag - 1) / 2
		switch {
		case tag == 0 && n <= uint64(len(b)):
			sb.Write(b[:n])
			b = b[n:]
		case tag > 0 && at <= uint64(len(base)) && n <= uint64(len(base))-at:
			span := base[at : at+n]
			if (tag-1)%2 == 1 {
				span = strings.ToLower(span)
			}
			sb.WriteString(span)
		default:
			return "", fmt.Errorf("%w: keyphrase reference out of its text", errPacked)
		}
	}
	return sb.String(), nil
}
