package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Queue operations and states.
const (
	OpIndex  = "index"
	OpRemove = "remove"

	QueuePending = "pending"
	QueueRunning = "running"
	QueueWaiting = "waiting" // for something to be configured, such as a transcription engine
)

// Task is a path to enqueue.
type Task struct {
	Path       string
	Op         string // OpIndex or OpRemove
	Collection string
}

// QueueItem is one row of the indexing queue.
type QueueItem struct {
	ID         int64     `json:"id"`
	Path       string    `json:"path"`
	Op         string    `json:"op"`
	Collection string    `json:"collection,omitempty"`
	State      string    `json:"state"`
	Attempts   int       `json:"attempts"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	Gen        int64     `json:"-"`
	AddedAt    time.Time `json:"added_at"`
}

// QueueStats counts the queue by state; Retrying are pending rows waiting
// out a backoff.
type QueueStats struct {
	Pending  int `json:"pending"`
	Running  int `json:"running"`
	Waiting  int `json:"waiting"`
	Retrying int `json:"retrying"`
}

// Total is everything not yet done.
func (q QueueStats) Total() int { return q.Pending + q.Running + q.Waiting }

// Enqueue adds tasks in one transaction. A path already queued takes the new
// operation and starts afresh (attempts and backoff cleared).
func (s *Store) Enqueue(ctx context.Context, tasks []Task) error {
	if len(tasks) == 0 {
		return nil
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO queue (path, op, collection, added_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(path) DO UPDATE SET op = excluded.op, collection = excluded.collection,
				state = CASE WHEN queue.state = 'running' THEN 'running' ELSE 'pending' END,
				attempts = 0, not_before = 0, reason = '', gen = queue.gen + 1, updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		defer stmt.Close()
		// A path the user adds is theirs again, even one an import named.
		trust, err := tx.PrepareContext(ctx, `UPDATE sources SET imported = 0 WHERE path = ? AND imported = 1`)
		if err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		defer trust.Close()
		t := now()
		for _, task := range tasks {
			if _, err := stmt.ExecContext(ctx, task.Path, task.Op, task.Collection, t, t); err != nil {
				return fmt.Errorf("enqueue %s: %w", task.Path, err)
			}
			if task.Op != OpIndex {
				continue
			}
			if _, err := trust.ExecContext(ctx, task.Path); err != nil {
				return fmt.Errorf("enqueue %s: %w", task.Path, err)
			}
		}
		return nil
	})
}

const queueCols = `id, path, op, collection, state, attempts, not_before, reason, gen, added_at`

func scanQueue(rows *sql.Rows) ([]QueueItem, error) {
	defer rows.Close()
	var out []QueueItem
	for rows.Next() {
		var q QueueItem
		var nb, added int64
		if err := rows.Scan(&q.ID, &q.Path, &q.Op, &q.Collection, &q.State, &q.Attempts, &nb, &q.Reason, &q.Gen, &added); err != nil {
			return nil, fmt.Errorf("read queue: %w", err)
		}
		if nb > 0 {
			q.NotBefore = time.UnixMilli(nb)
		}
		q.AddedAt = time.Unix(added, 0)
		out = append(out, q)
	}
	return out, rows.Err()
}

// Claim marks up to limit pending rows that are due at t as running and
// returns them, oldest first.
func (s *Store) Claim(ctx context.Context, t time.Time, limit int) ([]QueueItem, error) {
	var out []QueueItem
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+queueCols+` FROM queue
			WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT ?`, t.UnixMilli(), limit)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		if out, err = scanQueue(rows); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]string, len(out))
		for i := range out {
			out[i].State = QueueRunning
			ids[i] = fmt.Sprint(out[i].ID)
		}
		_, err = tx.ExecContext(ctx, `UPDATE queue SET state = 'running', updated_at = ? WHERE id IN (`+strings.Join(ids, ",")+`)`, now())
		return err
	})
	return out, err
}

// Finish removes a row whose work is stored, unless it was enqueued again
// meanwhile: then it goes back to pending for another pass.
func (s *Store) Finish(ctx context.Context, q QueueItem) error {
	return s.withTx(ctx, func(tx *sql.Tx) error { return finish(ctx, tx, q) })
}

func finish(ctx context.Context, tx sqlTx, q QueueItem) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM queue WHERE id = ? AND gen = ?`, q.ID, q.Gen)
	if err != nil {
		return fmt.Errorf("finish %s: %w", q.Path, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.ExecContext(ctx, `UPDATE queue SET state = 'pending', updated_at = ? WHERE id = ?`, now(), q.ID)
	}
	return err
}

// Retry puts a row back with a reason, an attempt count and a time before
// which it is not tried again. A row enqueued again meanwhile starts afresh.
func (s *Store) Retry(ctx context.Context, q QueueItem, attempts int, notBefore time.Time, reason string) error {
	return retry(ctx, s.db, q, attempts, notBefore, reason)
}

func retry(ctx context.Context, tx execer, q QueueItem, attempts int, notBefore time.Time, reason string) error {
	_, err := tx.ExecContext(ctx, `UPDATE queue SET
		state = 'pending',
		attempts = CASE WHEN gen = ? THEN ? ELSE 0 END,
		not_before = CASE WHEN gen = ? THEN ? ELSE 0 END,
		reason = CASE WHEN gen = ? THEN ? ELSE '' END,
		updated_at = ? WHERE id = ?`, q.Gen, attempts, q.Gen, notBefore.UnixMilli(), q.Gen, reason, now(), q.ID)
	if err != nil {
		return fmt.Errorf("retry %s: %w", q.Path, err)
	}
	return nil
}

// Park sets a row waiting, with the reason, until Release.
func (s *Store) Park(ctx context.Context, q QueueItem, reason string) error {
	return park(ctx, s.db, q, reason)
}

func park(ctx context.Context, tx execer, q QueueItem, reason string) error {
	_, err := tx.ExecContext(ctx, `UPDATE queue SET state = 'waiting', reason = ?, updated_at = ? WHERE id = ?`, reason, now(), q.ID)
	if err != nil {
		return fmt.Errorf("park %s: %w", q.Path, err)
	}
	return nil
}

// Release makes waiting rows pending again.
func (s *Store) Release(ctx context.Context) (int, error) {
	return s.requeue(ctx, QueueWaiting)
}

// Requeue makes running rows pending: the work a crashed or interrupted run
// had claimed.
func (s *Store) Requeue(ctx context.Context) (int, error) {
	return s.requeue(ctx, QueueRunning)
}

func (s *Store) requeue(ctx context.Context, state string) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE queue SET state = 'pending', updated_at = ? WHERE state = ?`, now(), state)
	if err != nil {
		return 0, fmt.Errorf("requeue: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// NextDue is when the earliest pending row becomes due; ok is false when
// nothing is pending.
func (s *Store) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(not_before) FROM queue WHERE state = 'pending'`).Scan(&ms); err != nil {
		return t, false, fmt.Errorf("queue: %w", err)
	}
	if !ms.Valid {
		return t, false, nil
	}
	return time.UnixMilli(ms.Int64), true, nil
}

// QueueStats counts the queue.
func (s *Store) QueueStats(ctx context.Context) (QueueStats, error) {
	var q QueueStats
	err := s.db.QueryRowContext(ctx, `SELECT
		coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'running'), 0),
		coalesce(sum(state = 'waiting'), 0), coalesce(sum(state = 'pending' AND attempts > 0), 0) FROM queue`).
		Scan(&q.Pending, &q.Running, &q.Waiting, &q.Retrying)
	if err != nil {
		return q, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// Cancel removes a queued row that is not being worked on and returns it;
// a running row is not removed (ErrRunning), a missing one is ErrNotFound.
func (s *Store) Cancel(ctx context.Context, id int64) (QueueItem, error) {
	var q QueueItem
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+queueCols+` FROM queue WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		items, err := scanQueue(rows)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return fmt.Errorf("queued file %d: %w", id, ErrNotFound)
		}
		q = items[0]
		if q.State == QueueRunning {
			return fmt.Errorf("%s: %w", q.Path, ErrRunning)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM queue WHERE id = ?`, id)
		return err
	})
	return q, err
}

// ErrRunning: the queued file is being worked on now.
var ErrRunning = errors.New("it is being indexed now")

// QueueItems lists the queue, running rows first, then oldest first.
func (s *Store) QueueItems(ctx context.Context, limit, offset int) ([]QueueItem, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+queueCols+` FROM queue
		ORDER BY state = 'running' DESC, id LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return scanQueue(rows)
}

// WatchedFolder is a folder Hoard keeps in step with the vault.
type WatchedFolder struct {
	Path       string    `json:"path"`
	Collection string    `json:"collection,omitempty"`
	AddedAt    time.Time `json:"added_at"`
}

// AddWatched records a watched folder (again: the collection is updated).
func (s *Store) AddWatched(ctx context.Context, path, collection string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO watched (path, collection, added_at) VALUES (?, ?, ?)
		ON CONFLICT(path) DO UPDATE SET collection = excluded.collection`, path, collection, now())
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	return nil
}

// RemoveWatched forgets a watched folder; what was indexed from it stays.
func (s *Store) RemoveWatched(ctx context.Context, path string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM watched WHERE path = ?`, path)
	if err != nil {
		return fmt.Errorf("unwatch %s: %w", path, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s is not watched: %w", path, ErrNotFound)
	}
	return nil
}

// Watched lists the watched folders.
func (s *Store) Watched(ctx context.Context) ([]WatchedFolder, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path, collection, added_at FROM watched ORDER BY path`)
	if err != nil {
		return nil, fmt.Errorf("watched folders: %w", err)
	}
	defer rows.Close()
	var out []WatchedFolder
	for rows.Next() {
		var w WatchedFolder
		var added int64
		if err := rows.Scan(&w.Path, &w.Collection, &added); err != nil {
			return nil, err
		}
		w.AddedAt = time.Unix(added, 0)
		out = append(out, w)
	}
	return out, rows.Err()
}

// Stamp is a source's stored size and modification time.
type Stamp struct{ Size, MTime int64 }

// SourcesUnder returns every source path below dir with its stamp.
func (s *Store) SourcesUnder(ctx context.Context, dir string) (map[string]Stamp, error) {
	out := map[string]Stamp{}
	err := s.EachSourceUnder(ctx, dir, func(p string, st Stamp) error {
		out[p] = st
		return nil
	})
	return out, err
}

// EachSourceUnder calls fn with every source path below dir and its stamp,
// reading them as it goes (a folder of any size in constant memory).
func (s *Store) EachSourceUnder(ctx context.Context, dir string, fn func(path string, st Stamp) error) error {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	// '0' sorts right after '/', so the range is exactly the paths below dir.
	rows, err := s.db.QueryContext(ctx, `SELECT path, size, mtime FROM sources WHERE path >= ? AND path < ?`,
		prefix, strings.TrimSuffix(prefix, "/")+"0")
	if err != nil {
		return fmt.Errorf("sources under %s: %w", dir, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var st Stamp
		if err := rows.Scan(&p, &st.Size, &st.MTime); err != nil {
			return err
		}
		if err := fn(p, st); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RemoveUnder forgets every source below dir (a folder that was deleted or
// moved away) and the documents left with no source; it returns how many
// sources went.
func (s *Store) RemoveUnder(ctx context.Context, dir string) (int, error) {
	srcs, err := s.SourcesUnder(ctx, dir)
	if err != nil || len(srcs) == 0 {
		return 0, err
	}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		for p := range srcs {
			if err := removeSource(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	return len(srcs), err
}
