package store

import (
	"context"
	"sync"
	"time"
)

// feedPoll is how often the feed asks SQLite whether anything committed.
// PRAGMA data_version reads no table, so an idle vault costs next to
// nothing however many listen.
const feedPoll = 250 * time.Millisecond

// feed tells listeners that the vault changed: one goroutine, running only
// while someone listens, watches PRAGMA data_version on a connection of its
// own, which changes after a commit by any other connection, in this
// process or another (a `hoard add` beside `hoard serve`).
type feed struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
	stop context.CancelFunc
}

// Subscribe returns a channel that receives a signal after the vault
// changed (signals coalesce: one waiting means "something changed since you
// last looked"), and a function that ends the subscription.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	f := &s.feed
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[chan struct{}]struct{}{}
	}
	f.subs[ch] = struct{}{}
	if f.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f.stop = cancel
		go s.pollChanges(ctx)
	}
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; !ok {
			return
		}
		delete(f.subs, ch)
		if len(f.subs) == 0 && f.stop != nil {
			f.stop()
			f.stop = nil
		}
	}
}

// Touch signals the listeners without a commit: for what lives in memory
// but is shown with the vault's state (the stage of the file being read).
func (s *Store) Touch() {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default: // one signal is waiting already
		}
	}
}

func (s *Store) pollChanges(ctx context.Context) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	var last int64 = -1
	t := time.NewTicker(feedPoll)
	defer t.Stop()
	for {
		var v int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			if ctx.Err() != nil {
				return
			}
		} else if v != last {
			if last != -1 {
				s.Touch()
			}
			last = v
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
