package api

import (
	"net/http"
	"sync"

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
	byPath map[string]Outcome
	order  []string // oldest first, for forgetting beyond outcomeKeep
}

// Outcome is what became of one queued file; Outcome "pending" means the
// queue has not finished with it (or this server never had it).
type Outcome struct {
	Path    string        `json:"path"`
	Outcome vault.Outcome `json:"outcome"`
	Reason  string        `json:"reason,omitempty"`
}

const outcomePending vault.Outcome = "pending"

func (o *outcomes) record(p vault.Progress) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byPath == nil {
		o.byPath = map[string]Outcome{}
	}
	if _, ok := o.byPath[p.Path]; !ok {
		o.order = append(o.order, p.Path)
	}
	o.byPath[p.Path] = Outcome{Path: p.Path, Outcome: p.Outcome, Reason: p.Reason}
	for len(o.order) > outcomeKeep {
		delete(o.byPath, o.order[0])
		o.order = o.order[1:]
	}
}

func (o *outcomes) of(paths []string) []Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Outcome, len(paths))
	for i, p := range paths {
		if got, ok := o.byPath[p]; ok {
			out[i] = got
		} else {
			out[i] = Outcome{Path: p, Outcome: outcomePending}
		}
	}
	return out
}

// outcomesOf answers what became of the files an upload queued (the paths
// its answer named).
func (s *Server) outcomesOf(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Paths []string `json:"paths"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Paths) > 1000 {
		s.fail(w, r, badRequest("at most 1000 paths at a time, not %d", len(req.Paths)))
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Outcome{"items": s.outcomes.of(req.Paths)})
}
