package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/vault"
)

// llmOptions are the flags that choose a language model. Without any of
// them, the vault's stored settings (the settings screen) choose.
type llmOptions struct {
	Kind, URL, Model string
	// Explicit says a flag was given: the flags choose, not the stored
	// settings.
	Explicit bool
}

func (o *llmOptions) AddFlags(f *pflag.FlagSet) {
	choiceVar(f, &o.Kind, "llm", "auto", "language model: auto (the built-in runner when a chat model is installed, else Ollama if running), builtin, ollama, openai, none (extractive)", "auto", "builtin", "ollama", "openai", "none")
	f.StringVar(&o.URL, "llm-url", "", "server address (Ollama default http://localhost:11434)")
	f.StringVar(&o.Model, "llm-model", "", "model name (default: the first the server lists; builtin: the best installed chat model)")
}

// llmFlagsGiven reports whether f, once parsed, was given any of the flags
// llmOptions defines.
func llmFlagsGiven(f *pflag.FlagSet) bool {
	return f.Changed("llm") || f.Changed("llm-url") || f.Changed("llm-model")
}

// pick resolves the options against v (nil outside a vault): a client and
// model, or nil with a note saying why the answer is extractive.
func (o llmOptions) pick(ctx context.Context, v *vault.Vault) (llm.Client, string, string) {
	key := os.Getenv("HOARD_LLM_KEY")
	if v != nil && !o.Explicit {
		if s, err := v.LLM(ctx); err == nil {
			if s.APIKey != "" {
				key = s.APIKey
			}
			return pickLLM(ctx, v, s.Kind, s.URL, s.Model, key)
		}
	}
	return pickLLM(ctx, v, o.Kind, o.URL, o.Model, key)
}

// askOptions picks the model for each question (a server started before
// Ollama finds it once it runs).
func (o llmOptions) askOptions(ctx context.Context, v *vault.Vault) vault.AskOptions {
	c, m, _ := o.pick(ctx, v)
	return vault.AskOptions{LLM: c, Model: m}
}

// pickLLM resolves --llm: a client and model, or nil with a note saying why
// the answer is extractive. v (nil outside a vault) holds the built-in
// runner.
func pickLLM(ctx context.Context, v *vault.Vault, kind, url, model, key string) (llm.Client, string, string) {
	opts := llm.Options{BaseURL: url, APIKey: key}
	var c llm.Client
	switch kind {
	case "none":
		return nil, "", "extractive answer (--llm none)"
	case "builtin":
		if v == nil {
			return nil, "", "extractive answer: the built-in runner needs a vault"
		}
		b, err := v.Builtin(model)
		if err != nil {
			return nil, "", "extractive answer: " + err.Error()
		}
		return b, b.Model().Name, ""
	case "openai":
		if url == "" {
			return nil, "", "extractive answer: --llm openai needs --llm-url"
		}
		c = llm.NewOpenAI(opts)
	case "ollama":
		c = llm.NewOllama(opts)
	default:
		// The built-in runner when a chat model is installed and nothing
		// else is set; then Ollama, when it runs.
		if v != nil && url == "" {
			if st := v.ChatStatus(); st.Available {
				if b, err := v.Builtin(model); err == nil {
					return b, b.Model().Name, ""
				}
			}
		}
		o := llm.NewOllama(opts)
		if !o.Detect(ctx) {
			return nil, "", "extractive answer: no language model found (install a chat model for the built-in runner: hoard models ls; start Ollama; or use --llm openai --llm-url URL)"
		}
		c = o
	}
	if model == "" {
		models, err := c.Models(ctx)
		if err != nil || len(models) == 0 {
			return nil, "", fmt.Sprintf("extractive answer: the %s server lists no model (%v)", c.Name(), err)
		}
		model = models[0]
	}
	return c, model, ""
}
