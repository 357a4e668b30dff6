package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/llm"
)

// llmTestTimeout bounds the test: a local server answers its model list at
// once, and the page waits on it.
const llmTestTimeout = 5 * time.Second

// testLLM connects to the language model server the given settings name
// (unsaved ones, so they can be tried before saving) and lists its models.
func (s *Server) testLLM(w http.ResponseWriter, r *http.Request) {
	var set wire.LLMSettings
	if err := decode(r, &set); err != nil {
		s.fail(w, r, err)
		return
	}
	if set.APIKey == masked {
		cur, err := s.v.LLM(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		set.APIKey = cur.APIKey
	}
	ctx, cancel := context.WithTimeout(r.Context(), llmTestTimeout)
	defer cancel()
	writeJSON(w, http.StatusOK, probeLLM(ctx, set))
}

// probeLLM asks the server for its models; the model questions will use
// is the one asked for when the server lists it, else the first it lists.
func probeLLM(ctx context.Context, set wire.LLMSettings) wire.LLMTest {
	opts := llm.Options{BaseURL: set.URL, APIKey: set.APIKey}
	var c llm.Client
	res := wire.LLMTest{URL: set.URL, Models: []string{}}
	switch set.Kind {
	case "none":
		res.Reachable = true
		return res
	case "openai":
		if set.URL == "" {
			res.Error = "An OpenAI-compatible server needs its address."
			return res
		}
		c = llm.NewOpenAI(opts)
	default: // auto and ollama
		if res.URL == "" {
			res.URL = llm.OllamaURL
		}
		c = llm.NewOllama(opts)
	}
	list, err := c.Models(ctx)
	var netErr *net.OpError
	switch {
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		res.Error = fmt.Sprintf("Nothing answers at %s: is the server running, and is the address right?", res.URL)
		return res
	case err != nil:
		res.Reachable = true
		res.Error = fmt.Sprintf("The server at %s answered, but not with its models: %v", res.URL, err)
		return res
	}
	res.Reachable = true
	res.Models = list
	for _, m := range list {
		if m == set.Model {
			res.Model = m
		}
	}
	switch {
	case len(list) == 0:
		res.Error = fmt.Sprintf("The server at %s has no model yet: install one (ollama pull llama3.2).", res.URL)
	case set.Model != "" && res.Model == "":
		res.Error = fmt.Sprintf("The server at %s does not have %s; it has %d other model(s).", res.URL, set.Model, len(list))
	case res.Model == "":
		res.Model = list[0]
	}
	return res
}
