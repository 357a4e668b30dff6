package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// sse writes server-sent events as an OpenAI-compatible server does, flushing
// after each write so the client sees the pieces as they come; split cuts
// one event in two writes, as TCP may.
func sse(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for _, e := range events {
		half := len(e) / 2
		io.WriteString(w, e[:half])
		fl.Flush()
		io.WriteString(w, e[half:])
		fl.Flush()
	}
}

func openAIServer(t *testing.T, handler func(w http.ResponseWriter, body map[string]any)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"qwen2.5-7b-instruct","object":"model"},{"id":"llama-3.1-8b","object":"model"}]}`)
		case "/v1/chat/completions":
			if r.Header.Get("Authorization") != "Bearer sk-test" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
				return
			}
			var body map[string]any
			json.NewDecoder(r.Body).Decode(&body)
			handler(w, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenAIStreaming(t *testing.T) {
	var got map[string]any
	srv := openAIServer(t, func(w http.ResponseWriter, body map[string]any) {
		got = body
		sse(w,
			": keep-alive comment\n\n",
			`data: {"id":"c1","object":"chat.completion.chunk","model":"qwen2.5-7b-instruct","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n",
			`data: {"id":"c1","object":"chat.completion.chunk","model":"qwen2.5-7b-instruct","choices":[{"index":0,"delta":{"content":"Paris is"},"finish_reason":null}]}`+"\n\n",
			`data: {"id":"c1","object":"chat.completion.chunk","model":"qwen2.5-7b-instruct","choices":[{"index":0,"delta":{"content":" the capital [1]."},"finish_reason":null}]}`+"\n\n",
			`data: {"id":"c1","object":"chat.completion.chunk","model":"qwen2.5-7b-instruct","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n",
			`data: {"id":"c1","object":"chat.completion.chunk","model":"qwen2.5-7b-instruct","choices":[],"usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49}}`+"\n\n",
			"data: [DONE]\n\n")
	})
	c := NewOpenAI(Options{BaseURL: srv.URL + "/v1", APIKey: "sk-test"})
	var deltas []string
	temp := 0.2
	resp, err := c.Chat(context.Background(), Request{Model: "qwen2.5-7b-instruct", Temperature: &temp, MaxTokens: 64,
		Messages: []Message{{"system", "Answer from the sources."}, {"user", "Capital of France?"}}}, func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Paris is the capital [1]." || len(deltas) != 2 || resp.FinishReason != "stop" ||
		resp.PromptTokens != 42 || resp.CompletionTokens != 7 || resp.Model != "qwen2.5-7b-instruct" {
		t.Fatalf("response %+v, deltas %q", resp, deltas)
	}
	if got["stream"] != true || got["max_tokens"] != float64(64) || got["temperature"] != 0.2 {
		t.Errorf("request body %v", got)
	}
	models, err := c.Models(context.Background())
	if err != nil || strings.Join(models, ",") != "qwen2.5-7b-instruct,llama-3.1-8b" {
		t.Errorf("models %v %v", models, err)
	}
}

func TestOpenAIErrors(t *testing.T) {
	srv := openAIServer(t, func(w http.ResponseWriter, body map[string]any) {
		switch body["model"] {
		case "missing":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"message":"The model 'missing' does not exist","type":"invalid_request_error"}}`)
		case "midstream":
			sse(w, `data: {"choices":[{"delta":{"content":"Hel"}}]}`+"\n\n",
				`data: {"error":{"message":"context length exceeded"}}`+"\n\n")
		case "plain":
			// A server that ignores "stream": one JSON answer.
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"model":"plain","choices":[{"message":{"role":"assistant","content":"Whole answer."},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`)
		}
	})
	ctx := context.Background()
	var apiErr *APIError
	_, err := NewOpenAI(Options{BaseURL: srv.URL, APIKey: "wrong"}).Chat(ctx, Request{Model: "x"}, nil)
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || !strings.Contains(err.Error(), "Incorrect API key") {
		t.Errorf("bad key: %v", err)
	}
	c := NewOpenAI(Options{BaseURL: srv.URL, APIKey: "sk-test"})
	if _, err := c.Chat(ctx, Request{Model: "missing"}, nil); !errors.As(err, &apiErr) || apiErr.Status != 404 || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing model: %v", err)
	}
	resp, err := c.Chat(ctx, Request{Model: "midstream"}, nil)
	if err == nil || !strings.Contains(err.Error(), "context length exceeded") || resp.Text != "Hel" {
		t.Errorf("error mid-stream: %+v %v", resp, err)
	}
	resp, err = c.Chat(ctx, Request{Model: "plain"}, nil)
	if err != nil || resp.Text != "Whole answer." || resp.CompletionTokens != 2 {
		t.Errorf("non-streamed answer: %+v %v", resp, err)
	}
}

// A server that starts answering and then goes silent: the stall timeout
// ends the call instead of hanging; a cancelled context ends it too.
func TestStallAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := openAIServer(t, func(w http.ResponseWriter, body map[string]any) {
		sse(w, `data: {"choices":[{"delta":{"content":"Thinking"}}]}`+"\n\n")
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
	})
	defer close(release)
	c := NewOpenAI(Options{BaseURL: srv.URL, APIKey: "sk-test", StallTimeout: 300 * time.Millisecond})
	start := time.Now()
	resp, err := c.Chat(context.Background(), Request{Model: "m"}, nil)
	if !errors.Is(err, ErrStalled) || resp.Text != "Thinking" || time.Since(start) > 5*time.Second {
		t.Errorf("stalled stream: %+v %v after %s", resp, err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	c = NewOpenAI(Options{BaseURL: srv.URL, APIKey: "sk-test"})
	_, err = c.Chat(ctx, Request{Model: "m"}, func(string) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// The callback can stop a generation with its own error.
	stop := errors.New("enough")
	if _, err := NewOpenAI(Options{BaseURL: srv.URL, APIKey: "sk-test", StallTimeout: time.Second}).Chat(context.Background(), Request{Model: "m"},
		func(string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback stop: %v", err)
	}
}

func ollamaServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			io.WriteString(w, `{"version":"0.12.3"}`)
		case "/api/tags":
			io.WriteString(w, `{"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","size":2019393189},{"name":"qwen2.5:7b","model":"qwen2.5:7b"}]}`)
		case "/api/chat":
			var body struct {
				Model    string         `json:"model"`
				Stream   bool           `json:"stream"`
				Options  map[string]any `json:"options"`
				Messages []Message      `json:"messages"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			if body.Model == "nope" {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"error":"model \"nope\" not found, try pulling it first"}`)
				return
			}
			if !body.Stream || body.Options["num_predict"] != float64(32) {
				t.Errorf("request %+v", body)
			}
			w.Header().Set("Content-Type", "application/x-ndjson")
			fl := w.(http.Flusher)
			for _, piece := range []string{"The answer", " is 42", "."} {
				fmt.Fprintf(w, `{"model":"%s","created_at":"2026-11-21T03:00:00Z","message":{"role":"assistant","content":%q},"done":false}`+"\n", body.Model, piece)
				fl.Flush()
			}
			if body.Model == "cut" {
				return // the stream ends without its final line
			}
			fmt.Fprintf(w, `{"model":"%s","created_at":"2026-11-21T03:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":1,"prompt_eval_count":26,"eval_count":5}`+"\n", body.Model)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOllama(t *testing.T) {
	srv := ollamaServer(t)
	c := NewOllama(Options{BaseURL: srv.URL})
	ctx := context.Background()
	if !c.Detect(ctx) {
		t.Fatal("Ollama not detected")
	}
	if NewOllama(Options{BaseURL: "http://127.0.0.1:1"}).Detect(ctx) {
		t.Error("detected Ollama where nothing listens")
	}
	models, err := c.Models(ctx)
	if err != nil || strings.Join(models, ",") != "llama3.2:3b,qwen2.5:7b" {
		t.Fatalf("models %v %v", models, err)
	}
	var n int
	resp, err := c.Chat(ctx, Request{Model: "llama3.2:3b", MaxTokens: 32, Messages: []Message{{"user", "?"}}}, func(string) error { n++; return nil })
	if err != nil || resp.Text != "The answer is 42." || n != 3 || resp.FinishReason != "stop" || resp.PromptTokens != 26 || resp.CompletionTokens != 5 {
		t.Fatalf("chat %+v (%d deltas) %v", resp, n, err)
	}
	var apiErr *APIError
	if _, err := c.Chat(ctx, Request{Model: "nope", MaxTokens: 32}, nil); !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "try pulling it first") {
		t.Errorf("missing model: %v", err)
	}
	if _, err := c.Chat(ctx, Request{Model: "cut", MaxTokens: 32}, nil); err == nil || !strings.Contains(err.Error(), "final message") {
		t.Errorf("cut stream: %v", err)
	}
}

// A server that never starts answering (a model that cannot load).
func TestHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewOllama(Options{BaseURL: srv.URL, HeaderTimeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := c.Chat(context.Background(), Request{Model: "m"}, nil); !errors.Is(err, ErrStalled) || time.Since(start) > 5*time.Second {
		t.Errorf("no headers: %v after %s", err, time.Since(start))
	}
}

// Ollama cuts a prompt longer than its window without a word, so Hoard asks
// for the window it fits prompts to: the Modelfile's num_ctx, else 4096,
// never past what the model was trained for; a server that cannot say
// gets 4096. Every chat request carries it as options.num_ctx.
func TestOllamaWindow(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]float64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model   string         `json:"model"`
			Options map[string]any `json:"options"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		switch r.URL.Path {
		case "/api/show":
			switch body.Model {
			case "small":
				io.WriteString(w, `{"parameters":"stop \"<|im_end|>\"\nnum_ctx 600","model_info":{"qwen2.context_length":32768}}`)
			case "short-trained":
				io.WriteString(w, `{"parameters":"","model_info":{"llama.context_length":2048}}`)
			case "plain":
				io.WriteString(w, `{"model_info":{"llama.context_length":131072}}`)
			default:
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"error":"model not found"}`)
			}
		case "/api/chat":
			mu.Lock()
			asked[body.Model], _ = body.Options["num_ctx"].(float64)
			mu.Unlock()
			io.WriteString(w, `{"message":{"role":"assistant","content":"ok"},"done":true}`+"\n")
		}
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := NewOllama(Options{BaseURL: srv.URL})
	for _, tc := range []struct {
		model string
		want  int
	}{{"small", 600}, {"short-trained", 2048}, {"plain", DefaultOllamaContext}, {"unknown", DefaultOllamaContext}} {
		n, err := c.ContextSize(ctx, tc.model)
		if err != nil || n != tc.want {
			t.Errorf("%s: window %d (%v), want %d", tc.model, n, err, tc.want)
		}
		if _, err := c.Chat(ctx, Request{Model: tc.model, Messages: []Message{{"user", "?"}}}, nil); err != nil {
			t.Fatal(err)
		}
		if asked[tc.model] != float64(tc.want) {
			t.Errorf("%s: chat asked for num_ctx %v, want %d", tc.model, asked[tc.model], tc.want)
		}
	}
	// The estimate errs high: about a token per three Latin characters, one
	// per Chinese character.
	for _, tc := range []struct {
		text     string
		min, max int
	}{{strings.Repeat("word ", 100), 150, 200}, {strings.Repeat("漢", 90), 90, 100}, {"", 0, 1}} {
		if n, _ := c.CountTokens(ctx, "small", tc.text); n < tc.min || n > tc.max {
			t.Errorf("%.12q…: %d tokens, want %d–%d", tc.text, n, tc.min, tc.max)
		}
	}
}
