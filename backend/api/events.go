package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/hoardvault/hoard/backend/vault"
)

// Snapshot is what the library shows live: the counts and the first rows
// of the queue. Seq grows whenever anything in it changed, so a client
// knows to reload the page of documents it shows.
type Snapshot struct {
	Seq       int         `json:"seq"`
	Documents int         `json:"documents"`
	Indexed   int         `json:"indexed"`
	Failed    int         `json:"failed"`
	Chunks    int         `json:"chunks"`
	Bytes     int64       `json:"bytes"`
	Queue     vault.Queue `json:"queue"`
	Embedding struct {
		Done    int `json:"done"`
		Pending int `json:"pending"`
	} `json:"embedding"`
}

// events streams a Snapshot whenever it changes (checked every interval,
// 500 ms by default), with a comment line every 15 s to keep the
// connection open through proxies.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	send := startSSE(w)
	every := s.opt.EventInterval
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last []byte
	var seq int
	quiet := time.Now()
	for {
		snap, err := s.snapshot(r.Context())
		if err != nil {
			if r.Context().Err() != nil {
				return
			}
			send("error", errorBody{Error: err.Error()})
			return
		}
		snap.Seq = 0
		b, _ := json.Marshal(snap)
		if !bytes.Equal(b, last) {
			last = b
			seq++
			snap.Seq = seq
			if send("status", snap) != nil {
				return
			}
			quiet = time.Now()
		} else if time.Since(quiet) > 15*time.Second {
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			quiet = time.Now()
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.opt.Context.Done(): // the server is stopping
			return
		case <-tick.C:
		}
	}
}

func (s *Server) snapshot(ctx context.Context) (Snapshot, error) {
	var snap Snapshot
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
	snap.Queue = q
	return snap, err
}
