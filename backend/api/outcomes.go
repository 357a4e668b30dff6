package api

import (
	"net/http"
	"sync"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

// outcomeKeep bounds how many files' outcomes are remembered: enough for a
// large folder's upload to be summed up once its last file is done.
const outcomeKeep = 20000

// outcomes remembers what background indexing last did with each file
// (indexed, unchanged, linked to content already stored, failed), so the
// page that uploaded files can sum them up once the queue is done with them.
type outcomes struct {
	mu     sync.Mutex
	byPath map[string]wire.Outcome
	order  []string // oldest first, for forgetting beyond outcomeKeep
}

// outcomePending: the queue has not finished with the file (or this server
// never had it).
const outcomePending = "pending"

func (o *outcomes) record(p vault.Progress) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byPath == nil {
		o.byPath = map[string]wire.Outcome{}
	}
	if _, ok := o.byPath[p.Path]; !ok {
		o.order = append(o.order, p.Path)
	}
	o.byPath[p.Path] = wire.Outcome{Path: p.Path, Outcome: string(p.Outcome), Reason: p.Reason}
	for len(o.order) > outcomeKeep {
		delete(o.byPath, o.order[0])
		o.order = o.order[1:]
	}
}

func (o *outcomes) of(paths []string) []wire.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]wire.Outcome, len(paths))
	for i, p := range paths {
		if got, ok := o.byPath[p]; ok {
			out[i] = got
		} else {
			out[i] = wire.Outcome{Path: p, Outcome: outcomePending}
		}
	}
	return out
}

// outcomesOf answers what became of the files an upload queued (the paths
// its answer named).
func (s *Server) outcomesOf(w http.ResponseWriter, r *http.Request) {
	var req wire.OutcomesRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Paths) > 1000 {
		s.fail(w, r, badRequest("at most 1000 paths at a time, not %d", len(req.Paths)))
		return
	}
	writeJSON(w, http.StatusOK, wire.Items[wire.Outcome]{Items: s.outcomes.of(req.Paths)})
}
