package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/hoardvault/hoard/models"
)

// Models lists the catalog's models and which are installed.
func (v *Vault) Models() []models.Status { return v.models().List() }

// PullModel downloads and installs a catalog model; progress hears each
// file's bytes done of total (-1 when unknown). AdoptModels takes a new
// embedder into use.
func (v *Vault) PullModel(ctx context.Context, name string, progress func(file string, done, total int64)) error {
	m := *v.models() // a copy: its Progress is this pull's
	m.Progress = func(_, file string, done, total int64) {
		if progress != nil {
			progress(file, done, total)
		}
	}
	_, err := m.Pull(ctx, name)
	return err
}

// LLMSettings choose the language model that answers questions, as stored
// in the vault (the settings screen); command-line flags win over them.
type LLMSettings struct {
	// Kind is auto (Ollama if it runs), ollama, openai (any OpenAI-compatible
	// server) or none (extractive answers).
	Kind   string `json:"kind"`
	URL    string `json:"url,omitempty"`
	Model  string `json:"model,omitempty"`
	APIKey string `json:"api_key,omitempty"`
}

const llmKey = "llm"

// LLM returns the stored language-model settings (kind "auto" when none).
func (v *Vault) LLM(ctx context.Context) (LLMSettings, error) {
	s := LLMSettings{Kind: "auto"}
	err := v.jsonSetting(ctx, llmKey, &s)
	return s, err
}

// jsonSetting reads a setting stored as JSON into dst; a missing one
// leaves dst as it is.
func (v *Vault) jsonSetting(ctx context.Context, key string, dst any) error {
	raw, err := v.store.Setting(ctx, key)
	if err != nil || raw == "" {
		return err
	}
	if err := json.Unmarshal([]byte(raw), dst); err != nil {
		return fmt.Errorf("stored %s settings: %w", key, err)
	}
	return nil
}

// SetLLM stores the language-model settings.
func (v *Vault) SetLLM(ctx context.Context, s LLMSettings) error {
	switch s.Kind {
	case "":
		s.Kind = "auto"
	case "auto", "ollama", "openai", "none":
	default:
		return fmt.Errorf("language model %q: want auto, ollama, openai or none", s.Kind)
	}
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("language model server %q: want an http(s) URL", s.URL)
		}
	}
	if s.Kind == "openai" && s.URL == "" {
		return fmt.Errorf("an OpenAI-compatible server needs its URL")
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return v.store.SetSetting(ctx, llmKey, string(raw))
}
