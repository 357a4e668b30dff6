package vault

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/derive"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/text"
)

// AskOptions choose how a question is answered.
type AskOptions struct {
	LLM     llm.Client // nil: extractive
	Model   string
	OnDelta func(string) error // the answer as it is written
	// Conversation continues a stored conversation: follow-ups are read
	// against it and the exchange is added to it. NewConversation starts one.
	Conversation    int64
	NewConversation bool
}

// historyTurns is how much of a conversation a follow-up is read against.
const historyTurns = 6

// Ask answers a question from the vault with citations: by the language
// model when one is given and reachable, else extractively.
func (v *Vault) Ask(ctx context.Context, question string, opt AskOptions) (answer.Answer, error) {
	mv := derive.Reader{Store: v.store}
	aopt := answer.Options{LLM: opt.LLM, Model: opt.Model, OnDelta: opt.OnDelta, Memory: mv, Facts: mv}
	conv := opt.Conversation
	if conv != 0 {
		_, msgs, err := v.store.Conversation(ctx, conv)
		if err != nil {
			return answer.Answer{}, err
		}
		aopt.History = turns(msgs, historyTurns)
	}
	a, err := answer.Ask(ctx, v, question, aopt)
	if err != nil {
		return a, err
	}
	if conv == 0 && !opt.NewConversation {
		return a, nil
	}
	if conv == 0 {
		if conv, err = v.store.CreateConversation(ctx, text.Clip(question, 80)); err != nil {
			return a, err
		}
	}
	a.Conversation = conv
	cites, _ := json.Marshal(a.Citations)
	trace, _ := json.Marshal(a.Trace)
	err = v.store.AddMessages(ctx, conv,
		store.Message{Role: "user", Content: question, Query: a.Query},
		store.Message{Role: "assistant", Content: a.Answer, Citations: string(cites), Trace: string(trace)})
	a.Conversation = conv
	return a, err
}

// turns pairs stored messages into the last n exchanges.
func turns(msgs []store.Message, n int) []answer.Turn {
	var out []answer.Turn
	for i := 0; i+1 < len(msgs); i++ {
		if msgs[i].Role != "user" || msgs[i+1].Role != "assistant" {
			continue
		}
		t := answer.Turn{Question: msgs[i].Content, Query: msgs[i].Query, Answer: msgs[i+1].Content}
		_ = json.Unmarshal([]byte(msgs[i+1].Citations), &t.Citations)
		out = append(out, t)
		i++
	}
	return out[max(0, len(out)-n):]
}

// ChatMessage is a stored message as shown to the user.
type ChatMessage struct {
	store.Message
	Citations []answer.Citation `json:"citations,omitempty"`
	Trace     []answer.Step     `json:"trace,omitempty"`
}

// Conversations lists conversations, most recent first.
func (v *Vault) Conversations(ctx context.Context, limit, offset int) ([]store.Conversation, error) {
	return v.store.Conversations(ctx, limit, offset)
}

// Conversation returns a conversation with its messages.
func (v *Vault) Conversation(ctx context.Context, id int64) (store.Conversation, []ChatMessage, error) {
	c, msgs, err := v.store.Conversation(ctx, id)
	if err != nil {
		return c, nil, err
	}
	out := make([]ChatMessage, len(msgs))
	for i, m := range msgs {
		out[i].Message = m
		if err := json.Unmarshal([]byte(m.Citations), &out[i].Citations); err != nil {
			return c, nil, fmt.Errorf("message %d: %w", m.ID, err)
		}
		if err := json.Unmarshal([]byte(m.Trace), &out[i].Trace); err != nil {
			return c, nil, fmt.Errorf("message %d: %w", m.ID, err)
		}
	}
	return c, out, nil
}

// RenameConversation retitles a conversation.
func (v *Vault) RenameConversation(ctx context.Context, id int64, title string) error {
	return v.store.RenameConversation(ctx, id, title)
}

// DeleteConversation removes a conversation.
func (v *Vault) DeleteConversation(ctx context.Context, id int64) error {
	return v.store.DeleteConversation(ctx, id)
}

// Rarity is how rare each word is across the vault's index: answers weigh
// a question's words by it when judging whether the passages answer it.
func (v *Vault) Rarity(ctx context.Context, words []string) (map[string]float64, error) {
	return v.search().Rarity(ctx, words)
}
