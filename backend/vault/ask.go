package vault

import (
	"context"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/llm"
)

// AskOptions choose how a question is answered.
type AskOptions struct {
	LLM     llm.Client // nil: extractive
	Model   string
	OnDelta func(string) error // the answer as it is written
}

// Ask answers a question from the vault with citations: by the language
// model when one is given and reachable, else extractively.
func (v *Vault) Ask(ctx context.Context, question string, opt AskOptions) (answer.Answer, error) {
	return answer.Ask(ctx, v, question, answer.Options{LLM: opt.LLM, Model: opt.Model, OnDelta: opt.OnDelta})
}
