package api

import (
	"net/http"
	"time"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

func (s *Server) queue(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := s.paging(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := s.v.Queue(r.Context(), limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, q)
}

func (s *Server) watched(w http.ResponseWriter, r *http.Request) {
	ws, err := s.v.Watched(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ws == nil {
		ws = []store.WatchedFolder{}
	}
	writeJSON(w, http.StatusOK, ws)
}

// watchFolder adds a watched folder; a running server follows it at once.
func (s *Server) watchFolder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path       string `json:"path"`
		Collection string `json:"collection"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Path == "" {
		s.fail(w, r, badRequest("path is required"))
		return
	}
	abs, err := s.v.AddWatched(r.Context(), req.Path, req.Collection)
	if err != nil {
		s.fail(w, r, badRequest("%v", err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"path": abs})
}

func (s *Server) unwatchFolder(w http.ResponseWriter, r *http.Request) {
	if err := s.v.RemoveWatched(r.Context(), r.URL.Query().Get("path")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// transcription shows the engine settings; the API key is never sent back.
func (s *Server) transcription(w http.ResponseWriter, r *http.Request) {
	t, err := s.v.Transcription(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.APIKey != "" {
		t.APIKey = masked
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) setTranscription(w http.ResponseWriter, r *http.Request) {
	var t vault.TranscriptionOptions
	if err := decode(r, &t); err != nil {
		s.fail(w, r, err)
		return
	}
	if t.APIKey == masked { // the masked key sent back unchanged
		cur, err := s.v.Transcription(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t.APIKey = cur.APIKey
	}
	if err := s.v.SetTranscription(r.Context(), t); err != nil {
		s.fail(w, r, badRequest("%v", err))
		return
	}
	s.transcription(w, r)
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.v.Models())
}

// pullModel downloads a model, streaming progress events (file, done,
// total bytes) and then "done" or "error".
func (s *Server) pullModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	send := startSSE(w)
	last := time.Time{}
	err := s.v.PullModel(r.Context(), name, func(file string, done, total int64) {
		// At most ten events a second, and always the last.
		if time.Since(last) < 100*time.Millisecond && done != total {
			return
		}
		last = time.Now()
		send("progress", map[string]any{"model": name, "file": file, "done": done, "total": total})
	})
	if err != nil {
		send("error", errorBody{Error: err.Error()})
		return
	}
	send("done", map[string]string{"model": name, "note": "installed; it is used from the next start of Hoard"})
}

const masked = "********"

// llm shows the language-model settings; the API key is never sent back.
func (s *Server) llm(w http.ResponseWriter, r *http.Request) {
	l, err := s.v.LLM(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if l.APIKey != "" {
		l.APIKey = masked
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) setLLM(w http.ResponseWriter, r *http.Request) {
	var l vault.LLMSettings
	if err := decode(r, &l); err != nil {
		s.fail(w, r, err)
		return
	}
	if l.APIKey == masked {
		cur, err := s.v.LLM(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l.APIKey = cur.APIKey
	}
	if err := s.v.SetLLM(r.Context(), l); err != nil {
		s.fail(w, r, badRequest("%v", err))
		return
	}
	s.llm(w, r)
}
