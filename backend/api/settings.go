package api

import (
	"context"
	"net/http"
	"time"

	"github.com/hoardvault/hoard/backend/api/wire"
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
	writeJSON(w, http.StatusOK, wire.FromQueue(q))
}

// cancelQueued takes a file out of the queue (409 while it is worked on).
func (s *Server) cancelQueued(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := s.v.CancelQueued(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromQueueItem(q))
}

func (s *Server) watched(w http.ResponseWriter, r *http.Request) {
	ws, err := s.v.Watched(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromWatched(ws))
}

// watchFolder adds a watched folder; a running server follows it at once.
func (s *Server) watchFolder(w http.ResponseWriter, r *http.Request) {
	var req wire.WatchRequest
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
		s.failInput(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.Watching{Path: abs})
}

func (s *Server) unwatchFolder(w http.ResponseWriter, r *http.Request) {
	if err := s.v.RemoveWatched(r.Context(), r.URL.Query().Get("path")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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
		send("progress", wire.PullProgress{Model: name, File: file, Done: done, Total: total})
	})
	if err != nil {
		send("error", wire.ErrorBody{Error: err.Error()})
		return
	}
	send("done", wire.ModelInstalled{Model: name, Note: s.adopt()})
}

// adopt takes a model just installed into use and says what that did.
func (s *Server) adopt() string {
	if s.v.AdoptModels(s.opt.Context) {
		return "installed and in use: the vault's passages are being embedded"
	}
	return "installed"
}

// The settings in their wire form, for secretSettings.
func (s *Server) llm(ctx context.Context) (wire.LLMSettings, error) {
	l, err := s.v.LLM(ctx)
	return wire.FromLLM(l), err
}

func (s *Server) setLLM(ctx context.Context, l wire.LLMSettings) error {
	return s.v.SetLLM(ctx, wire.ToLLM(l))
}

func (s *Server) transcription(ctx context.Context) (wire.TranscriptionSettings, error) {
	t, err := s.v.Transcription(ctx)
	return wire.FromTranscription(t), err
}

func (s *Server) setTranscription(ctx context.Context, t wire.TranscriptionSettings) error {
	return s.v.SetTranscription(ctx, wire.ToTranscription(t))
}

// masked stands for a stored API key, which is never sent back; a client
// that sends it back unchanged keeps the stored key.
const masked = "********"

// secretSettings serves GET and PUT of a settings object holding an API key
// (the transcription engine's, the language model's).
func secretSettings[T any](s *Server, get func(context.Context) (T, error), set func(context.Context, T) error, key func(*T) *string) (read, write http.HandlerFunc) {
	read = func(w http.ResponseWriter, r *http.Request) {
		v, err := get(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if k := key(&v); *k != "" {
			*k = masked
		}
		writeJSON(w, http.StatusOK, v)
	}
	write = func(w http.ResponseWriter, r *http.Request) {
		var v T
		if err := decode(r, &v); err != nil {
			s.fail(w, r, err)
			return
		}
		if k := key(&v); *k == masked {
			cur, err := get(r.Context())
			if err != nil {
				s.fail(w, r, err)
				return
			}
			*k = *key(&cur)
		}
		if err := set(r.Context(), v); err != nil {
			s.failInput(w, r, err)
			return
		}
		read(w, r)
	}
	return read, write
}

// importModel installs a catalog model from a folder (or jar) on this
// machine: `hoard models import` for the settings screen.
func (s *Server) importModel(w http.ResponseWriter, r *http.Request) {
	var req wire.ModelImport
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.From == "" {
		s.fail(w, r, badRequest("from (a folder or jar on this machine) is required"))
		return
	}
	inst, err := s.v.ImportModel(r.PathValue("name"), req.From)
	if err != nil {
		s.failInput(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ModelInstalled{Model: inst.Spec.Name, Dir: inst.Dir, Note: s.adopt()})
}
