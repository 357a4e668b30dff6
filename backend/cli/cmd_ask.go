package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

func newAskCommand(a *app) *cobra.Command {
	var opts askOptions
	cmd := &cobra.Command{
		Use:   "ask [flags] QUESTION",
		Short: "Answer a question from the vault, citing file, page and timestamp",
		Long: "Answers with a local language model when one is reachable (Ollama is detected at localhost:11434,\n" +
			"or --llm openai --llm-url URL for llama.cpp, LM Studio, vLLM, OpenAI), otherwise with the sentences\n" +
			"of your documents that best answer the question. Citations [n] point at the sources listed after it.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.LLM.Explicit = llmFlagsGiven(cmd.Flags())
			return runAsk(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// askOptions are hoard ask's flags.
type askOptions struct {
	JSON bool
	Chat string // "new", or the id of a conversation to continue
	LLM  llmOptions
}

func (o *askOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, `print {"answer", "citations", "trace"}`)
	f.StringVar(&o.Chat, "chat", "", `keep the exchange in a conversation: "new", or the id of one to continue (follow-ups are read against it)`)
	o.LLM.AddFlags(f)
}

func runAsk(ctx context.Context, opts askOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		client, model, note := opts.LLM.pick(ctx, v)
		opt := vault.AskOptions{LLM: client, Model: model}
		switch opts.Chat {
		case "":
		case "new":
			opt.NewConversation = true
		default:
			id, err := strconv.ParseInt(opts.Chat, 10, 64)
			if err != nil {
				return fmt.Errorf("--chat: %q is neither \"new\" nor a conversation id", opts.Chat)
			}
			opt.Conversation = id
		}
		if !opts.JSON {
			opt.OnDelta = func(s string) error { _, err := fmt.Fprint(a.stdout, s); return err }
		}
		ans, err := v.Ask(ctx, strings.Join(args, " "), opt)
		if err != nil {
			return err
		}
		if note != "" {
			ans.Trace = append([]answer.Step{{Step: "llm", Detail: note}}, ans.Trace...)
		}
		if opts.JSON {
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
