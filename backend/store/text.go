package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"
)

// Sections returns a document's sections (byte spans of its text with their
// page and heading), in order.
func (s *Store) Sections(ctx context.Context, id int64) ([]Section, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ordinal, page, heading, char_start, char_end FROM sections WHERE document_id = ? ORDER BY ordinal`, id)
	if err != nil {
		return nil, fmt.Errorf("sections of document %d: %w", id, err)
	}
	var out []Section
	none := false
	for rows.Next() {
		var sec Section
		var ord int
		if err := rows.Scan(&ord, &sec.Page, &sec.Heading, &sec.CharStart, &sec.CharEnd); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sections of document %d: %w", id, err)
		}
		if ord == sectionsNone {
			none = true
			continue
		}
		out = append(out, sec)
	}
	rows.Close()
	if err := rows.Err(); err != nil || none || len(out) > 0 {
		return out, err
	}
	// No rows: the one section that is all of the text, if it has any.
	_, text, err := s.DocumentText(ctx, id)
	if err != nil || text == "" {
		return nil, err
	}
	return []Section{wholeSection(text)}, nil
}

// A document whose one section is all of its text, with no page or
// heading (most of them: a note, an abstract), stores no section: its
// text implies it. One of no sections stores a row saying so (ordinal
// sectionsNone), so that the two are told apart; migration 0019 wrote it
// for the documents of no sections an older build stored.
const sectionsNone = -1

// wholeSection is the section that is all of text.
func wholeSection(text string) Section {
	return Section{CharEnd: utf8.RuneCountInString(text)}
}

// storedSections is what the sections table gets of a document's, and the
// ordinal of the first.
func storedSections(secs []Section, text string) ([]Section, int) {
	switch {
	case text == "":
		return secs, 0
	case len(secs) == 0:
		return []Section{{}}, sectionsNone
	case len(secs) == 1 && secs[0] == wholeSection(text):
		return nil, 0
	}
	return secs, 0
}

// What documents.text holds (text_form, migration 0013).
const (
	textWhole     = 0 // the whole text, not yet compacted
	textRest      = 1 // only what the chunks leave out
	textWholeKept = 2 // the whole text: the chunks are not it
)

// span is a chunk's place in its document's text, in characters.
type span struct {
	start, end int
	text       string
}

func chunkSpans(chunks []Chunk) []span {
	out := make([]span, len(chunks))
	for i, c := range chunks {
		out[i] = span{c.CharStart, c.CharEnd, c.Text}
	}
	return out
}

// restOf returns what of text no chunk covers, in order, when every chunk
// is text at its character offsets (ok); the text is then joinRest of the
// two. Chunks may overlap and leave gaps.
func restOf(text string, chunks []span) (rest string, ok bool) {
	if len(chunks) == 0 {
		return "", false
	}
	spans := sortedSpans(chunks)
	// Byte offsets of every chunk boundary, in one walk of the text.
	marks := make([]int, 0, 2*len(spans))
	for _, c := range spans {
		marks = append(marks, c.start, c.end)
	}
	sort.Ints(marks)
	at := make(map[int]int, len(marks))
	b, ch := 0, 0
	for _, m := range marks {
		for ch < m && b < len(text) {
			_, w := utf8.DecodeRuneInString(text[b:])
			b += w
			ch++
		}
		if ch != m {
			return "", false // past the end of the text
		}
		at[m] = b
	}
	var out []byte
	pos := 0 // bytes of text accounted for
	for _, c := range spans {
		if c.start < 0 || c.end < c.start || text[at[c.start]:at[c.end]] != c.text {
			return "", false
		}
		if s := at[c.start]; s > pos {
			out = append(out, text[pos:s]...)
		}
		pos = max(pos, at[c.end])
	}
	out = append(out, text[pos:]...)
	return string(out), true
}

// joinRest rebuilds a document's text from its chunks and what they leave
// out (restOf).
func joinRest(rest string, chunks []span) string {
	spans := sortedSpans(chunks)
	size := len(rest)
	for _, c := range spans {
		size += len(c.text)
	}
	out := make([]byte, 0, size)
	pos, r := 0, 0 // characters written; bytes of rest used
	for _, c := range spans {
		if c.start > pos {
			n := runeBytes(rest[r:], c.start-pos)
			out = append(out, rest[r:r+n]...)
			r += n
			pos = c.start
		}
		if c.end > pos {
			out = append(out, c.text[runeBytes(c.text, pos-c.start):]...)
			pos = c.end
		}
	}
	return string(append(out, rest[r:]...))
}

func sortedSpans(chunks []span) []span {
	spans := append([]span(nil), chunks...)
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	return spans
}

// runeBytes is how many bytes the first n characters of s take.
func runeBytes(s string, n int) int {
	b := 0
	for ; n > 0 && b < len(s); n-- {
		_, w := utf8.DecodeRuneInString(s[b:])
		b += w
	}
	return b
}

// storedText is what documents.text and text_form get for c, as Pack
// worked it out or now.
func (c Content) storedText() (string, int) {
	if c.form != textWhole {
		return c.rest, c.form
	}
	return storedText(c)
}

// storedText is what documents.text and text_form get for content: what
// the chunks leave out, or the whole text when they are not it.
func storedText(c Content) (string, int) {
	if rest, ok := restOf(c.Text, chunkSpans(c.Chunks)); ok {
		return rest, textRest
	}
	return c.Text, textWholeKept
}

// DocumentText returns a document's title and extracted text.
func (s *Store) DocumentText(ctx context.Context, id int64) (title, text string, err error) {
	var form int
	err = s.db.QueryRowContext(ctx, `SELECT title, text, text_form FROM documents WHERE id = ?`, id).Scan(&title, &text, &form)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("document %d: %w", id, err)
	}
	if text, err = wholeText(ctx, s.db, s.dicts, id, text, form); err != nil {
		return "", "", fmt.Errorf("document %d: %w", id, err)
	}
	return title, text, nil
}

// wholeText rebuilds a document's text from what documents.text holds.
func wholeText(ctx context.Context, q sqlTx, dicts *dictionaries, id int64, stored string, form int) (string, error) {
	if form != textRest {
		return stored, nil
	}
	spans, err := textSpans(ctx, q, dicts, id)
	if err != nil {
		return "", err
	}
	return joinRest(stored, spans), nil
}

func textSpans(ctx context.Context, q sqlTx, dicts *dictionaries, id int64) ([]span, error) {
	rows, err := q.QueryContext(ctx, `SELECT char_start, char_end, text FROM chunks WHERE document_id = ? ORDER BY ordinal`, id)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	defer rows.Close()
	var out []span
	for rows.Next() {
		var c span
		if err := rows.Scan(&c.start, &c.end, chunkText(dicts, &c.text)); err != nil {
			return nil, fmt.Errorf("text: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// compactBatch is how many documents one transaction of compactTexts
// converts.
const compactBatch = 100

// compactTexts converts documents whose whole text is stored beside their
// chunks (a vault from before migration 0013, an import) so the text is
// stored once. Each batch is its own transaction: a crash keeps what was
// done, and the next open goes on.
func (s *Store) compactTexts(ctx context.Context) (int, error) {
	n := 0
	for {
		var done int
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			st := newStmtTx(tx)
			rows, err := st.QueryContext(ctx, `SELECT id FROM documents WHERE text_form = 0 ORDER BY id LIMIT ?`, compactBatch)
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range ids {
				if err := compactText(ctx, st, s.dicts, id); err != nil {
					return fmt.Errorf("document %d: %w", id, err)
				}
			}
			done = len(ids)
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("store text once: %w", err)
		}
		if done == 0 {
			return n, nil
		}
		n += done
	}
}

// compactText turns one document's stored whole text into what its chunks
// leave out, when they are its text (else it is kept whole).
func compactText(ctx context.Context, tx sqlTx, dicts *dictionaries, id int64) error {
	var text string
	if err := tx.QueryRowContext(ctx, `SELECT text FROM documents WHERE id = ?`, id).Scan(&text); err != nil {
		return err
	}
	spans, err := textSpans(ctx, tx, dicts, id)
	if err != nil {
		return err
	}
	return putText(ctx, tx, id, text, spans)
}

// putText stores a document's text once: what spans leave out, or the
// whole text when they are not it.
func putText(ctx context.Context, tx execer, id int64, text string, spans []span) error {
	rest, form := text, textWholeKept
	if r, ok := restOf(text, spans); ok {
		rest, form = r, textRest
	}
	_, err := tx.ExecContext(ctx, `UPDATE documents SET text = ?, text_form = ? WHERE id = ?`, rest, form, id)
	return err
}
