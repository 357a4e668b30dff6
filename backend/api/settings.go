package api

import (
	"net/http"

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
		t.APIKey = "********"
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) setTranscription(w http.ResponseWriter, r *http.Request) {
	var t vault.TranscriptionOptions
	if err := decode(r, &t); err != nil {
		s.fail(w, r, err)
		return
	}
	if t.APIKey == "********" { // the masked key sent back unchanged
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
