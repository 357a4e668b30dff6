package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// OpenAI speaks the OpenAI chat completions API (/v1/chat/completions with
// server-sent events), which llama.cpp's server, LM Studio, vLLM and OpenAI
// itself serve.
type OpenAI struct{ o Options }

// NewOpenAI makes a client; BaseURL is the server root (".../v1" is added).
func NewOpenAI(o Options) *OpenAI {
	o = o.withDefaults("http://localhost:8080")
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/v1")
	return &OpenAI{o: o}
}

func (c *OpenAI) Name() string { return "openai" }

func (c *OpenAI) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.o.BaseURL+path, &buf)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.o.APIKey)
	}
	return req, nil
}

func openAIError(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Error) == 0 {
		return ""
	}
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil {
		return s
	}
	return ""
}

// Chat streams a completion.
func (c *OpenAI) Chat(ctx context.Context, r Request, onDelta func(string) error) (Response, error) {
	body := map[string]any{"model": r.Model, "messages": r.Messages, "stream": true,
		"stream_options": map[string]any{"include_usage": true}}
	if r.Temperature != nil {
		body["temperature"] = *r.Temperature
	}
	if r.MaxTokens > 0 {
		body["max_tokens"] = r.MaxTokens
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/chat/completions", body)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, done, err := do(ctx, c.o, req, openAIError)
	if err != nil {
		return Response{}, err
	}
	defer done()
	defer resp.Body.Close()
	var out Response
	var text strings.Builder
	// A server that ignores "stream" answers with one JSON object.
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var whole struct {
			Model   string `json:"model"`
			Choices []struct {
				Message      Message `json:"message"`
				FinishReason string  `json:"finish_reason"`
			} `json:"choices"`
			Usage struct {
				Prompt     int `json:"prompt_tokens"`
				Completion int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&whole); err != nil {
			return out, fmt.Errorf("model server: unreadable answer: %w", err)
		}
		out.Model, out.PromptTokens, out.CompletionTokens = whole.Model, whole.Usage.Prompt, whole.Usage.Completion
		if len(whole.Choices) > 0 {
			out.Text, out.FinishReason = whole.Choices[0].Message.Content, whole.Choices[0].FinishReason
			if onDelta != nil && out.Text != "" {
				if err := onDelta(out.Text); err != nil {
					return out, err
				}
			}
		}
		return out, nil
	}
	err = lines(resp.Body, func(line string) (bool, error) {
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			return false, nil // comments, event names, blank separators
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			return true, nil
		}
		var ev struct {
			Model   string `json:"model"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				Prompt     int `json:"prompt_tokens"`
				Completion int `json:"completion_tokens"`
			} `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return false, fmt.Errorf("model server: unreadable event %q: %w", data, err)
		}
		if len(ev.Error) > 0 {
			msg := openAIError([]byte(`{"error":` + string(ev.Error) + `}`))
			return false, &APIError{Status: http.StatusOK, Message: msg}
		}
		if ev.Model != "" {
			out.Model = ev.Model
		}
		if ev.Usage != nil {
			out.PromptTokens, out.CompletionTokens = ev.Usage.Prompt, ev.Usage.Completion
		}
		for _, ch := range ev.Choices {
			if ch.FinishReason != nil {
				out.FinishReason = *ch.FinishReason
			}
			if ch.Delta.Content == "" {
				continue
			}
			text.WriteString(ch.Delta.Content)
			if onDelta != nil {
				if err := onDelta(ch.Delta.Content); err != nil {
					return false, err
				}
			}
		}
		return false, nil
	})
	out.Text = text.String()
	return out, err
}

// Models lists the server's models (GET /v1/models).
func (c *OpenAI) Models(ctx context.Context) ([]string, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/models", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := getJSON(ctx, c.o, req, openAIError, &list); err != nil {
		return nil, fmt.Errorf("model list: %w", err)
	}
	out := make([]string, len(list.Data))
	for i, m := range list.Data {
		out[i] = m.ID
	}
	return out, nil
}
