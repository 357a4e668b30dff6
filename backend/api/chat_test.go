package api_test

import (
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/api"
)

// The Settings screen learns from /api/status whether the built-in runner
// can answer, which chat model fits this machine's memory, and from
// /api/models the chat models with their size and memory; "builtin" is a
// provider /api/llm stores.
func TestChatStatusAndProvider(t *testing.T) {
	srv, _ := newServer(t, api.Options{Token: token})
	var st struct {
		Chat struct {
			Available bool   `json:"available"`
			Suggested string `json:"suggested"`
			Memory    int64  `json:"memory"`
			Note      string `json:"note"`
		} `json:"chat"`
	}
	getJSON(t, srv.URL+"/api/status", &st)
	// The test's models folder is empty: no chat model, whatever the runner.
	if st.Chat.Available || st.Chat.Note == "" || st.Chat.Memory <= 0 {
		t.Errorf("chat status %+v", st.Chat)
	}
	if st.Chat.Memory >= 4e9 && st.Chat.Suggested == "" {
		t.Errorf("%d bytes of memory and no chat model suggested", st.Chat.Memory)
	}
	var ms []struct {
		Spec struct {
			Name   string `json:"name"`
			Role   string `json:"role"`
			Bytes  int64  `json:"bytes"`
			Memory int64  `json:"memory"`
		} `json:"spec"`
	}
	getJSON(t, srv.URL+"/api/models", &ms)
	chat := 0
	for _, m := range ms {
		if m.Spec.Role == "chat" {
			chat++
			if m.Spec.Bytes <= 0 || m.Spec.Memory <= 0 {
				t.Errorf("%s: bytes %d, memory %d", m.Spec.Name, m.Spec.Bytes, m.Spec.Memory)
			}
		}
	}
	if chat < 4 {
		t.Errorf("%d chat models listed", chat)
	}
	auth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	if code, b := do(t, "PUT", srv.URL+"/api/llm", strings.NewReader(`{"kind":"builtin","model":"qwen2.5-1.5b-instruct"}`), auth); code != 200 || !strings.Contains(string(b), `"builtin"`) {
		t.Errorf("builtin provider: %d %s", code, b)
	}
}
