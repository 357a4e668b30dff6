// Package llm talks to local and remote chat models: Ollama's native API and
// any OpenAI-compatible endpoint (llama.cpp server, LM Studio, vLLM,
// OpenAI), with streaming, cancellation and timeouts.
package llm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // system, user, assistant
	Content string `json:"content"`
}

// Request is one chat completion.
type Request struct {
	Model       string
	Messages    []Message
	Temperature *float64
	MaxTokens   int
}

// Response is a finished answer.
type Response struct {
	Text             string
	Model            string
	FinishReason     string
	PromptTokens     int
	CompletionTokens int
	// Notes are what the backend has to say about this answer: the
	// built-in runner restarted after a crash, say.
	Notes []string
}

// Client is a chat backend. onDelta, when set, receives the answer as it is
// generated; returning an error stops the generation.
type Client interface {
	Chat(ctx context.Context, req Request, onDelta func(string) error) (Response, error)
	Models(ctx context.Context) ([]string, error)
	Name() string
}

// Options common to the backends.
type Options struct {
	BaseURL string
	APIKey  string
	HTTP    *http.Client
	// HeaderTimeout bounds the wait for the response to start (a model
	// loading can take a while); StallTimeout the silence between two
	// pieces of a streamed answer.
	HeaderTimeout time.Duration
	StallTimeout  time.Duration
}

func (o Options) withDefaults(base string) Options {
	if o.BaseURL == "" {
		o.BaseURL = base
	}
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.HeaderTimeout == 0 {
		o.HeaderTimeout = 120 * time.Second
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = 60 * time.Second
	}
	return o
}

// ErrStalled means a streamed answer stopped arriving.
var ErrStalled = errors.New("the model stopped sending")

// APIError is an error the server answered with.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("model server: %s (HTTP %d)", e.Message, e.Status)
}

// do sends a request and returns the response once its headers arrive,
// with a body that fails with ErrStalled after StallTimeout of silence.
func do(ctx context.Context, o Options, req *http.Request, decodeErr func([]byte) string) (*http.Response, func(), error) {
	ctx, cancel := context.WithCancelCause(ctx)
	req = req.WithContext(ctx)
	headerTimer := time.AfterFunc(o.HeaderTimeout, func() {
		cancel(fmt.Errorf("%w: no answer within %s", ErrStalled, o.HeaderTimeout))
	})
	resp, err := o.HTTP.Do(req)
	headerTimer.Stop()
	if err != nil {
		if c := context.Cause(ctx); c != nil && errors.Is(c, ErrStalled) {
			err = c
		}
		cancel(nil)
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel(nil)
		msg := decodeErr(body)
		if msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		if msg == "" {
			msg = resp.Status
		}
		return nil, nil, &APIError{Status: resp.StatusCode, Message: msg}
	}
	w := &watchdog{r: resp.Body, timeout: o.StallTimeout, cancel: cancel, ctx: ctx}
	w.arm()
	resp.Body = w
	return resp, func() { w.stop(); cancel(nil) }, nil
}

// watchdog cancels a request when its body is silent for too long.
type watchdog struct {
	r       io.ReadCloser
	timeout time.Duration
	cancel  context.CancelCauseFunc
	ctx     context.Context
	mu      sync.Mutex
	timer   *time.Timer
}

func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.timer = time.AfterFunc(w.timeout, func() {
		w.cancel(fmt.Errorf("%w for %s", ErrStalled, w.timeout))
	})
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.arm()
	}
	if err != nil && err != io.EOF {
		if c := context.Cause(w.ctx); c != nil {
			err = c
		}
	}
	return n, err
}

func (w *watchdog) Close() error { w.stop(); return w.r.Close() }

// getJSON runs a request and decodes its JSON answer into v.
func getJSON(ctx context.Context, o Options, req *http.Request, decodeErr func([]byte) string, v any) error {
	resp, done, err := do(ctx, o, req, decodeErr)
	if err != nil {
		return err
	}
	defer done()
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// lines calls fn with each line of a streamed body.
func lines(r io.Reader, fn func(string) (stop bool, err error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		stop, err := fn(sc.Text())
		if err != nil || stop {
			return err
		}
	}
	return sc.Err()
}
