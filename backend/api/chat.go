package api

import (
	"net/http"
	"strings"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

// ask answers a question. With stream (or Accept: text/event-stream) the
// reply is server-sent events: "delta" events carry the answer's text as it
// is written ({"text"}), then one "answer" event carries the whole answer
// with citations and trace, or an "error" event says what went wrong.
func (s *Server) ask(w http.ResponseWriter, r *http.Request) {
	var req wire.AskRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Question) == "" {
		s.fail(w, r, badRequest("question is empty"))
		return
	}
	var opt vault.AskOptions
	if s.opt.Ask != nil {
		opt = s.opt.Ask(r.Context())
	}
	opt.Conversation, opt.NewConversation = req.Conversation, req.NewConversation
	stream := req.Stream || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	if !stream {
		a, err := s.v.Ask(r.Context(), req.Question, opt)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, wire.FromAnswer(a))
		return
	}
	send := startSSE(w)
	opt.OnDelta = func(text string) error { return send("delta", wire.Delta{Text: text}) }
	a, err := s.v.Ask(r.Context(), req.Question, opt)
	if err != nil {
		send("error", wire.ErrorBody{Error: err.Error()})
		return
	}
	send("answer", wire.FromAnswer(a))
}

func (s *Server) conversations(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := s.paging(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.v.Conversations(r.Context(), limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Items[wire.Conversation]{Items: wire.FromConversations(cs)})
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, msgs, err := s.v.Conversation(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromConversationDetail(c, msgs))
}

func (s *Server) renameConversation(w http.ResponseWriter, r *http.Request) {
	var body wire.Rename
	id, err := pathID(r)
	if err == nil {
		err = decode(r, &body)
	}
	if err == nil {
		err = s.v.RenameConversation(r.Context(), id, body.Title)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, func(id int64) error { return s.v.DeleteConversation(r.Context(), id) })
}

func (s *Server) memories(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	q.Set("collection", vault.MemoriesCollection)
	r.URL.RawQuery = q.Encode()
	s.documents(w, r)
}

func (s *Server) remember(w http.ResponseWriter, r *http.Request) {
	var n wire.Note
	if err := decode(r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(n.Text) == "" {
		s.fail(w, r, badRequest("text is empty"))
		return
	}
	id, err := s.v.Remember(r.Context(), n.Title, n.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.Created{ID: id})
}

func (s *Server) updateMemory(w http.ResponseWriter, r *http.Request) {
	var n wire.Note
	id, err := pathID(r)
	if err == nil {
		err = decode(r, &n)
	}
	if err == nil && strings.TrimSpace(n.Text) == "" {
		err = badRequest("text is empty")
	}
	if err == nil {
		err = s.v.UpdateMemory(r.Context(), id, n.Title, n.Text)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) forget(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, func(id int64) error { return s.v.Forget(r.Context(), id) })
}

func (s *Server) globalMemory(w http.ResponseWriter, r *http.Request) {
	m, err := s.v.Memory(r.Context(), r.URL.Query().Get("gists") == "1")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromMemory(m))
}
