package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

func newRememberCommand(a *app) *cobra.Command {
	var opts rememberOptions
	cmd := &cobra.Command{
		Use:   "remember TEXT...",
		Short: "Keep a note in the vault's memories (searched with more weight, newest first)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRemember(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// rememberOptions are hoard remember's flags.
type rememberOptions struct {
	Title string
}

func (o *rememberOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Title, "title", "", "title (default: the note's first words)")
}

func runRemember(ctx context.Context, opts rememberOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		id, err := v.Remember(ctx, opts.Title, strings.Join(args, " "))
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "remembered as document %d\n", id)
		return nil
	})
}

func newMemoriesCommand(a *app) *cobra.Command {
	var opts memoriesOptions
	cmd := &cobra.Command{
		Use:   "memories [forget ID | edit ID TEXT...]",
		Short: "List, edit or forget the notes kept with `hoard remember`",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMemories(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// memoriesOptions are hoard memories's flags.
type memoriesOptions struct {
	JSON bool
}

func (o *memoriesOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runMemories(ctx context.Context, opts memoriesOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		if len(args) > 0 {
			if len(args) < 2 || args[0] != "forget" && args[0] != "edit" || args[0] == "edit" && len(args) < 3 {
				return errors.New("usage: hoard memories [forget ID | edit ID TEXT...]")
			}
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a memory id", args[1])
			}
			if args[0] == "forget" {
				return v.Forget(ctx, id)
			}
			return v.UpdateMemory(ctx, id, "", strings.Join(args[2:], " "))
		}
		docs, _, err := v.Memories(ctx, 0, 0)
		if err != nil {
			return err
		}
		if opts.JSON {
			return a.printJSON(wire.FromDocuments(docs))
		}
		for _, d := range docs {
			fmt.Fprintf(a.stdout, "%6d  %s  %s\n", d.ID, time.Unix(d.CreatedAt, 0).Format("2006-01-02 15:04"), d.Title)
		}
		return nil
	})
}

func newMemoryCommand(a *app) *cobra.Command {
	var opts memoryOptions
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Show the vault's global memory (gists, topics); --build or --facts to have a language model write it",
		Long: "Every document has a gist and keyphrases, written at indexing without a model. With a language model,\n" +
			"--build rewrites the gists and an overview of the vault, and --facts reads atomic facts from every passage\n" +
			"(both resume where they stopped). Answers use them: clue queries, summaries, multi-hop answers.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.LLM.Explicit = llmFlagsGiven(cmd.Flags())
			return runMemory(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// memoryOptions are hoard memory's flags.
type memoryOptions struct {
	JSON  bool
	Build bool // have the model write the gists and the overview
	Facts bool // have the model read facts from every passage
	LLM   llmOptions
}

func (o *memoryOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print JSON, with every gist")
	f.BoolVar(&o.Build, "build", false, "have the language model write the gists and the overview")
	f.BoolVar(&o.Facts, "facts", false, "have the language model read facts from every passage")
	o.LLM.AddFlags(f)
}

func runMemory(ctx context.Context, opts memoryOptions, a *app) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		if opts.Build || opts.Facts {
			c, model, note := opts.LLM.pick(ctx, v)
			if c == nil {
				return errors.New(note)
			}
			if opts.Build {
				n, err := v.BuildMemory(ctx, c, model, func(p vault.MemoryProgress) {
					fmt.Fprintf(a.stderr, "\rgists %d/%d", p.Done, p.Total)
				})
				fmt.Fprintf(a.stderr, "\n%d gist(s) written by %s\n", n, model)
				if err != nil {
					return err
				}
			}
			if opts.Facts {
				if err := a.readFacts(ctx, v, opts.LLM); err != nil {
					return err
				}
			}
		}
		m, err := v.Memory(ctx, opts.JSON)
		if err != nil {
			return err
		}
		if opts.JSON {
			return a.printJSON(wire.FromMemory(m))
		}
		fmt.Fprintf(a.stdout, "%d documents, %d gists by a language model, %d facts (%d passages not read)\n", m.Documents, m.ByLLM, m.Facts, m.Unread)
		if m.Overview != "" {
			fmt.Fprintf(a.stdout, "\n%s\n", m.Overview)
		}
		if len(m.Keyphrases) > 0 {
			fmt.Fprintf(a.stdout, "\ntopics: %s\n", strings.Join(m.Keyphrases, ", "))
		}
		return nil
	})
}

// readFacts has the chosen language model read facts from every passage not
// read yet.
func (a *app) readFacts(ctx context.Context, v *vault.Vault, lo llmOptions) error {
	c, model, note := lo.pick(ctx, v)
	if c == nil {
		return errors.New(note)
	}
	p, err := v.ExtractFacts(ctx, c, model, func(p vault.FactProgress) {
		fmt.Fprintf(a.stderr, "\rpassages read %d, facts %d", p.Chunks, p.Facts)
	})
	fmt.Fprintf(a.stderr, "\n%d fact(s) from %d passage(s) by %s\n", p.Facts, p.Chunks, model)
	return err
}
