package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

func (a *app) askCmd() *cobra.Command {
	var asJSON bool
	var chat string
	var lf llmFlags
	cmd := &cobra.Command{
		Use:   "ask [flags] QUESTION",
		Short: "Answer a question from the vault, citing file, page and timestamp",
		Long: "Answers with a local language model when one is reachable (Ollama is detected at localhost:11434,\n" +
			"or --llm openai --llm-url URL for llama.cpp, LM Studio, vLLM, OpenAI), otherwise with the sentences\n" +
			"of your documents that best answer the question. Citations [n] point at the sources listed after it.",
		Args: cobra.MinimumNArgs(1),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"answer", "citations", "trace"}`)
	cmd.Flags().StringVar(&chat, "chat", "", `keep the exchange in a conversation: "new", or the id of one to continue (follow-ups are read against it)`)
	lf.register(cmd)
	cmd.RunE = a.withVaultLLM(&lf, func(ctx context.Context, v *vault.Vault, args []string) error {
		client, model, note := lf.pick(ctx)
		opt := vault.AskOptions{LLM: client, Model: model}
		switch chat {
		case "":
		case "new":
			opt.NewConversation = true
		default:
			id, err := strconv.ParseInt(chat, 10, 64)
			if err != nil {
				return fmt.Errorf("--chat: %q is neither \"new\" nor a conversation id", chat)
			}
			opt.Conversation = id
		}
		if !asJSON {
			opt.OnDelta = func(s string) error { _, err := fmt.Fprint(a.stdout, s); return err }
		}
		ans, err := v.Ask(ctx, strings.Join(args, " "), opt)
		if err != nil {
			return err
		}
		if note != "" {
			ans.Trace = append([]answer.Step{{Step: "llm", Detail: note}}, ans.Trace...)
		}
		if asJSON {
			return a.printJSON(wire.FromAnswer(ans))
		}
		fmt.Fprintln(a.stdout)
		a.printSources("Sources:", ans.Citations)
		switch {
		case ans.NotInVault:
			a.printSources("Nearest sources:", ans.Sources)
		case ans.Uncited:
			a.printSources("Uncited: the answer cites none of the passages it was given:", ans.Sources)
		}
		if len(ans.Removed) > 0 {
			fmt.Fprintf(a.stdout, "\nCitations removed (no such passage was given): %v\n", ans.Removed)
		}
		a.printSources("Left out (did not fit the model's context):", ans.LeftOut)
		if ans.Extractive && note != "" {
			fmt.Fprintf(a.stderr, "(%s)\n", note)
		}
		if ans.Conversation != 0 {
			fmt.Fprintf(a.stderr, "(conversation %d: continue with --chat %d)\n", ans.Conversation, ans.Conversation)
		}
		return nil
	})
	return cmd
}

func (a *app) printSources(head string, cs []answer.Citation) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintln(a.stdout, "\n"+head)
	for _, c := range cs {
		where := c.Path
		if c.Page > 0 {
			where += " " + search.Pages(c.Page, c.PageEnd)
		}
		if c.Time != nil {
			where += " " + search.Clock(c.Time.StartMS)
		}
		if c.N > 0 {
			fmt.Fprintf(a.stdout, "  [%d] %s — %s\n", c.N, c.Title, where)
		} else {
			fmt.Fprintf(a.stdout, "  %s — %s\n", c.Title, where)
		}
	}
}

// llmFlags are the flags that choose a language model.
// Without any of them, the vault's stored settings (the settings screen)
// choose.
type llmFlags struct {
	kind, url, model string
	cmd              *cobra.Command
	v                *vault.Vault // set once open, for its stored settings
}

func (f *llmFlags) register(cmd *cobra.Command) {
	f.cmd = cmd
	choiceVar(cmd, &f.kind, "llm", "auto", "language model: auto (the built-in runner when a chat model is installed, else Ollama if running), builtin, ollama, openai, none (extractive)", "auto", "builtin", "ollama", "openai", "none")
	cmd.Flags().StringVar(&f.url, "llm-url", "", "server address (Ollama default http://localhost:11434)")
	cmd.Flags().StringVar(&f.model, "llm-model", "", "model name (default: the first the server lists; builtin: the best installed chat model)")
}

func (f *llmFlags) pick(ctx context.Context) (llm.Client, string, string) {
	key := os.Getenv("HOARD_LLM_KEY")
	fl := f.cmd.Flags()
	if f.v != nil && !fl.Changed("llm") && !fl.Changed("llm-url") && !fl.Changed("llm-model") {
		if s, err := f.v.LLM(ctx); err == nil {
			if s.APIKey != "" {
				key = s.APIKey
			}
			return pickLLM(ctx, f.v, s.Kind, s.URL, s.Model, key)
		}
	}
	return pickLLM(ctx, f.v, f.kind, f.url, f.model, key)
}

// askOptions picks the model for each question (a server started before
// Ollama finds it once it runs).
func (f *llmFlags) askOptions(ctx context.Context) vault.AskOptions {
	c, m, _ := f.pick(ctx)
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
