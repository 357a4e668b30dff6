package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/api/wire"
)

// event is one server-sent event, encoded once for every stream.
type event struct {
	name string
	body any
}

// hub computes the library's snapshot once per change of the vault and
// hands it to every open stream: 300 idle tabs cost one idle goroutine, not
// 300 loops of counts (the vault's change feed says when to look).
type hub struct {
	s    *Server
	mu   sync.Mutex
	subs map[chan event]struct{}
	last *event // the latest snapshot, for a stream that joins
	stop context.CancelFunc
	seq  int // grows across runs, so a stream that reconnects never sees it fall
}

// join adds a stream; the latest snapshot is waiting in its channel.
func (h *hub) join() (<-chan event, func()) {
	ch := make(chan event, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[chan event]struct{}{}
	}
	h.subs[ch] = struct{}{}
	if h.last != nil {
		ch <- *h.last
	}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(h.s.opt.Context)
		h.stop = cancel
		go h.run(ctx)
	}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
		if len(h.subs) == 0 && h.stop != nil {
			h.stop()
			h.stop, h.last = nil, nil
		}
	}
}

// publish replaces what each stream has not read yet with e; a run whose
// streams have all left (ctx ended under the lock in leave) publishes
// nothing.
func (h *hub) publish(ctx context.Context, e event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if snap, ok := e.body.(wire.Snapshot); ok {
		h.seq++
		snap.Seq = h.seq
		e.body = snap
		h.last = &e
	}
	for ch := range h.subs {
		select {
		case <-ch: // a slow reader gets the newest state, not every one
		default:
		}
		ch <- e
	}
}

func (h *hub) run(ctx context.Context) {
	changes, unsubscribe := h.s.v.Subscribe()
	defer unsubscribe()
	every := h.s.opt.EventInterval
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	var last []byte
	for {
		snap, err := h.s.snapshot(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			h.publish(ctx, event{"error", wire.ErrorBody{Error: err.Error()}})
		} else if b, _ := json.Marshal(snap); !bytes.Equal(b, last) {
			last = b
			h.publish(ctx, event{"status", snap})
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
		// Changes come in bursts (a folder being indexed): one snapshot
		// per interval at most.
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// events streams a wire.Snapshot whenever it changes, with a comment line every
// 15 s to keep the connection open through proxies.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	send := startSSE(w)
	ch, leave := s.hub.join()
	defer leave()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.opt.Context.Done(): // the server is stopping
			return
		case e := <-ch:
			if send(e.name, e.body) != nil {
				return
			}
		case <-keep.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}
}

func (s *Server) snapshot(ctx context.Context) (wire.Snapshot, error) {
	var snap wire.Snapshot
	st, err := s.v.Stats(ctx)
	if err != nil {
		return snap, err
	}
	q, err := s.v.Queue(ctx, 50, 0)
	if err != nil {
		return snap, err
	}
	snap.Documents, snap.Indexed, snap.Failed, snap.Chunks, snap.Bytes = st.Documents, st.Indexed, st.Failed, st.Chunks, st.Bytes
	snap.Embedding.Done, snap.Embedding.Pending, err = s.v.VectorCounts(ctx)
	snap.Queue = wire.FromQueue(q)
	snap.Watch = wire.FromWatchStatus(s.v.WatchStatus())
	return snap, err
}
