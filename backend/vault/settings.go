package vault

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hoardvault/hoard/backend/speech"
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

// ImportModel installs a catalog model from a folder or jar on this machine
// (an offline machine's way in); AdoptModels takes a new embedder into use.
func (v *Vault) ImportModel(name, from string) (models.Installed, error) {
	return v.models().Import(name, from)
}

// LLMSettings choose the language model that answers questions, as stored
// in the vault (the settings screen); command-line flags win over them.
type LLMSettings struct {
	// Kind is auto (the built-in runner when a chat model is installed, else
	// Ollama if it runs), builtin (Hoard's own llama.cpp runner; Model names
	// the chat model), ollama, openai (any OpenAI-compatible server) or none
	// (extractive answers).
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
	if s.Kind == "" {
		s.Kind = "auto"
	}
	if err := s.check(); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return v.store.SetSetting(ctx, llmKey, string(raw))
}

// check refuses settings SetLLM would not store (an import is checked too).
func (s LLMSettings) check() error {
	switch s.Kind {
	case "auto", "builtin", "ollama", "openai", "none":
	default:
		return fmt.Errorf("language model %q: want auto, builtin, ollama, openai or none", s.Kind)
	}
	if err := speech.CheckServerURL("language model server", s.URL); err != nil {
		return err
	}
	if s.Kind == "openai" && s.URL == "" {
		return fmt.Errorf("an OpenAI-compatible server needs its URL")
	}
	return nil
}
