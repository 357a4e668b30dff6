package store

import (
	"context"
	"fmt"
)

// Sections returns a document's sections (byte spans of its text with their
// page and heading), in order.
func (s *Store) Sections(ctx context.Context, id int64) ([]Section, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT page, heading, char_start, char_end FROM sections WHERE document_id = ? ORDER BY ordinal`, id)
	if err != nil {
		return nil, fmt.Errorf("sections of document %d: %w", id, err)
	}
	defer rows.Close()
	var out []Section
	for rows.Next() {
		var sec Section
		if err := rows.Scan(&sec.Page, &sec.Heading, &sec.CharStart, &sec.CharEnd); err != nil {
			return nil, fmt.Errorf("sections of document %d: %w", id, err)
		}
		out = append(out, sec)
	}
	return out, rows.Err()
}
