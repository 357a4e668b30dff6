package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Conversation is a chat with the vault.
type Conversation struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Messages  int    `json:"messages"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// Message is one turn. Citations and Trace are JSON kept as written by the
// answering side; the store does not read them.
type Message struct {
	ID        int64  `json:"id"`
	Role      string `json:"role"` // user or assistant
	Content   string `json:"content"`
	Query     string `json:"query,omitempty"` // what a user turn was resolved to
	Citations string `json:"-"`
	Trace     string `json:"-"`
	CreatedAt int64  `json:"created_at"`
}

// CreateConversation starts a conversation.
func (s *Store) CreateConversation(ctx context.Context, title string) (int64, error) {
	t := now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)`, title, t, t)
	if err != nil {
		return 0, fmt.Errorf("create conversation: %w", err)
	}
	return res.LastInsertId()
}

// AddMessages appends turns to a conversation in one transaction, so a
// question is never stored without its answer.
func (s *Store) AddMessages(ctx context.Context, convID int64, msgs ...Message) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		t := now()
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = ? WHERE id = ?`, t, convID)
		if err != nil {
			return fmt.Errorf("conversation %d: %w", convID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("conversation %d: %w", convID, ErrNotFound)
		}
		for _, m := range msgs {
			if m.Citations == "" {
				m.Citations = "[]"
			}
			if m.Trace == "" {
				m.Trace = "[]"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages (conversation_id, role, content, query, citations, trace, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, convID, m.Role, m.Content, m.Query, m.Citations, m.Trace, t); err != nil {
				return fmt.Errorf("store message: %w", err)
			}
		}
		return nil
	})
}

// Conversations lists conversations, most recent first.
func (s *Store) Conversations(ctx context.Context, limit, offset int) ([]Conversation, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.title, c.created_at, c.updated_at,
		(SELECT count(*) FROM messages WHERE conversation_id = c.id)
		FROM conversations c ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		var c Conversation
		if err := rows.Scan(&c.ID, &c.Title, &c.CreatedAt, &c.UpdatedAt, &c.Messages); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Conversation returns a conversation with its messages in order.
func (s *Store) Conversation(ctx context.Context, id int64) (Conversation, []Message, error) {
	var c Conversation
	err := s.db.QueryRowContext(ctx, `SELECT id, title, created_at, updated_at FROM conversations WHERE id = ?`, id).
		Scan(&c.ID, &c.Title, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, nil, fmt.Errorf("conversation %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, role, content, query, citations, trace, created_at FROM messages
		WHERE conversation_id = ? ORDER BY id`, id)
	if err != nil {
		return c, nil, fmt.Errorf("conversation %d: %w", id, err)
	}
	defer rows.Close()
	msgs := []Message{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.Role, &m.Content, &m.Query, &m.Citations, &m.Trace, &m.CreatedAt); err != nil {
			return c, nil, err
		}
		msgs = append(msgs, m)
	}
	c.Messages = len(msgs)
	return c, msgs, rows.Err()
}

// RenameConversation sets a conversation's title.
func (s *Store) RenameConversation(ctx context.Context, id int64, title string) error {
	return s.affectOne(ctx, "conversation", id, `UPDATE conversations SET title = ? WHERE id = ?`, title, id)
}

// DeleteConversation removes a conversation and its messages.
func (s *Store) DeleteConversation(ctx context.Context, id int64) error {
	return s.affectOne(ctx, "conversation", id, `DELETE FROM conversations WHERE id = ?`, id)
}

// affectOne runs a statement that must touch exactly one row of what.
func (s *Store) affectOne(ctx context.Context, what string, id int64, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s %d: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
	}
	return nil
}
