package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// OllamaURL is where Ollama listens by default.
const OllamaURL = "http://localhost:11434"

// Ollama speaks Ollama's native API (/api/chat streaming JSON lines).
type Ollama struct {
	o    Options
	mu   sync.Mutex
	ctxs map[string]int // each model's context window, once asked
}

// NewOllama makes a client (BaseURL defaults to OllamaURL).
func NewOllama(o Options) *Ollama { return &Ollama{o: o.withDefaults(OllamaURL)} }

func (c *Ollama) Name() string { return "ollama" }

func ollamaError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		return e.Error
	}
	return ""
}

// Chat streams a completion.
func (c *Ollama) Chat(ctx context.Context, r Request, onDelta func(string) error) (Response, error) {
	body := map[string]any{"model": r.Model, "messages": r.Messages, "stream": true}
	opts := map[string]any{}
	if r.Temperature != nil {
		opts["temperature"] = *r.Temperature
	}
	if r.MaxTokens > 0 {
		opts["num_predict"] = r.MaxTokens
	}
	// The window the prompt was fitted to, asked for explicitly: Ollama
	// cuts a prompt longer than its window without a word.
	if n, err := c.ContextSize(ctx, r.Model); err == nil && n > 0 {
		opts["num_ctx"] = n
	}
	if len(opts) > 0 {
		body["options"] = opts
	}
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.o.BaseURL+"/api/chat", bytes.NewReader(raw))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, done, err := do(ctx, c.o, req, ollamaError)
	if err != nil {
		return Response{}, err
	}
	defer done()
	defer resp.Body.Close()
	out := Response{Model: r.Model}
	var text strings.Builder
	finished := false
	err = lines(resp.Body, func(line string) (bool, error) {
		if strings.TrimSpace(line) == "" {
			return false, nil
		}
		var ev struct {
			Model   string  `json:"model"`
			Message Message `json:"message"`
			Done    bool    `json:"done"`
			Reason  string  `json:"done_reason"`
			Prompt  int     `json:"prompt_eval_count"`
			Eval    int     `json:"eval_count"`
			Error   string  `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return false, fmt.Errorf("ollama: unreadable line %q: %w", line, err)
		}
		if ev.Error != "" {
			return false, &APIError{Status: http.StatusOK, Message: ev.Error}
		}
		if ev.Model != "" {
			out.Model = ev.Model
		}
		if ev.Message.Content != "" {
			text.WriteString(ev.Message.Content)
			if onDelta != nil {
				if err := onDelta(ev.Message.Content); err != nil {
					return false, err
				}
			}
		}
		if ev.Done {
			finished = true
			out.FinishReason, out.PromptTokens, out.CompletionTokens = ev.Reason, ev.Prompt, ev.Eval
			return true, nil
		}
		return false, nil
	})
	out.Text = text.String()
	if err == nil && !finished {
		err = fmt.Errorf("ollama: the answer ended without its final message")
	}
	return out, err
}

// DefaultOllamaContext is the window Hoard asks Ollama for when the model's
// own settings name none: Ollama's usual default, asked for explicitly so
// that a prompt fitted to it is never cut.
const DefaultOllamaContext = 4096

// ContextSize is the window prompts for model are fitted to: the num_ctx
// its Modelfile sets, else DefaultOllamaContext, never more than the model
// was trained for (POST /api/show). A server that cannot say gets the
// default. Every request asks Ollama for this window (options.num_ctx).
func (c *Ollama) ContextSize(ctx context.Context, model string) (int, error) {
	c.mu.Lock()
	n, ok := c.ctxs[model]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	n = DefaultOllamaContext
	if set, trained, err := c.show(ctx, model); err == nil {
		if set > 0 {
			n = set
		}
		if trained > 0 {
			n = min(n, trained)
		}
	} else if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	c.mu.Lock()
	if c.ctxs == nil {
		c.ctxs = map[string]int{}
	}
	c.ctxs[model] = n
	c.mu.Unlock()
	return n, nil
}

// show reads a model's num_ctx parameter and its trained context length.
func (c *Ollama) show(ctx context.Context, model string) (set, trained int, err error) {
	raw, _ := json.Marshal(map[string]string{"model": model})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.o.BaseURL+"/api/show", bytes.NewReader(raw))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, done, err := do(ctx, c.o, req, ollamaError)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	defer resp.Body.Close()
	var out struct {
		Parameters string                     `json:"parameters"`
		ModelInfo  map[string]json.RawMessage `json:"model_info"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&out); err != nil {
		return 0, 0, fmt.Errorf("ollama: show %s: %w", model, err)
	}
	for _, line := range strings.Split(out.Parameters, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "num_ctx" {
			fmt.Sscan(f[1], &set)
		}
	}
	for k, v := range out.ModelInfo {
		if strings.HasSuffix(k, ".context_length") {
			json.Unmarshal(v, &trained)
		}
	}
	return set, trained, nil
}

// CountTokens estimates the tokens of text, erring high: Ollama offers no
// tokenizer. Latin text runs about four characters a token; a letter of a
// script without spaces (Chinese, Japanese) can be a token of its own.
func (c *Ollama) CountTokens(_ context.Context, _, text string) (int, error) {
	ascii, other := 0, 0
	for _, r := range text {
		if r < utf8.RuneSelf {
			ascii++
		} else if unicode.IsLetter(r) && !unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic) {
			other++
		} else {
			ascii += 2
		}
	}
	return (ascii+2)/3 + other, nil
}

// Models lists the installed models (GET /api/tags).
func (c *Ollama) Models(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.o.BaseURL+"/api/tags", nil)
	if err != nil {
		return nil, err
	}
	var tags struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	if err := getJSON(ctx, c.o, req, ollamaError, &tags); err != nil {
		return nil, fmt.Errorf("ollama model list: %w", err)
	}
	out := make([]string, len(tags.Models))
	for i, m := range tags.Models {
		out[i] = m.Name
	}
	return out, nil
}

// DetectOllama reports whether Ollama answers at the client's address,
// within a short time (it is local or absent).
func (c *Ollama) Detect(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.o.BaseURL+"/api/version", nil)
	if err != nil {
		return false
	}
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var v struct {
		Version string `json:"version"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&v) == nil && v.Version != ""
}
