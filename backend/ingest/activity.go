package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// Stages a file in the queue goes through while it is worked on.
const (
	StageExtracting   = "extracting"
	StageTranscribing = "transcribing"
	StageIndexing     = "indexing"
)

// activity is what the running pass is doing to each path right now, so
// the library can show a file's stage and not only "in the queue", and how
// far a recording's transcription is.
type activity struct {
	mu    sync.Mutex
	m     map[string]work
	touch func() // tells the vault's listeners (Subscribe) of a change
}

func (a *activity) changed() {
	if a.touch != nil {
		a.touch()
	}
}

// work is one path's stage, with done of total for a transcription.
type work struct {
	stage       string
	done, total time.Duration
}

func (a *activity) set(path, stage string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]work{}
	}
	a.m[path] = work{stage: stage}
	a.changed()
}

// progress records how much of path's recording is transcribed.
func (a *activity) progress(path string, done, total time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.m[path]; ok {
		w.done, w.total = done, total
		a.m[path] = w
		a.changed()
	}
}

func (a *activity) clear(path string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, path)
	a.changed()
}

func (a *activity) get(path string) work {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[path]
}

// Queue is the indexing queue's state.
type Queue struct {
	store.QueueStats
	Items []QueueEntry `json:"items"`
}

// QueueEntry is one queued file and, while it is worked on, its stage
// (extracting, transcribing, indexing).
type QueueEntry struct {
	store.QueueItem
	Stage string `json:"stage,omitempty"`
	// Progress: how much of a recording is transcribed, while it is.
	Progress *MediaProgress `json:"progress,omitempty"`
}

// MediaProgress is done of total, in milliseconds of a recording.
type MediaProgress struct {
	DoneMS  int64 `json:"done_ms"`
	TotalMS int64 `json:"total_ms"`
}

// Queue reports the indexing queue with up to limit rows.
func (s *Service) Queue(ctx context.Context, limit, offset int) (Queue, error) {
	st, err := s.st.QueueStats(ctx)
	if err != nil {
		return Queue{}, err
	}
	items, err := s.st.QueueItems(ctx, limit, offset)
	q := Queue{QueueStats: st, Items: make([]QueueEntry, len(items))}
	for i, it := range items {
		q.Items[i] = QueueEntry{QueueItem: it}
		if it.State == store.QueueRunning {
			w := s.act.get(it.Path)
			q.Items[i].Stage = w.stage
			if w.stage == StageTranscribing && w.total > 0 {
				q.Items[i].Progress = &MediaProgress{DoneMS: w.done.Milliseconds(), TotalMS: w.total.Milliseconds()}
			}
		}
	}
	return q, err
}
