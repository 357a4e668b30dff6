package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

func newAddCommand(a *app) *cobra.Command {
	var opts addOptions
	cmd := &cobra.Command{
		Use:   "add [PATH...]",
		Short: "Index files and folders (folders recursively; a BEIR corpus.jsonl as one document per record); with no path, finish the queued work",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.LLM.Explicit = llmFlagsGiven(cmd.Flags())
			return runAdd(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// addOptions are hoard add's flags.
type addOptions struct {
	Collection string
	JSON       bool
	Facts      bool       // then read facts from the new passages
	LLM        llmOptions // the model that reads them
}

func (o *addOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Collection, "collection", vault.DefaultCollection, "collection to add to")
	f.BoolVar(&o.JSON, "json", false, "print the summary as JSON")
	f.BoolVar(&o.Facts, "facts", false, "then have a language model read atomic facts from the new passages (see hoard memory)")
	o.LLM.AddFlags(f)
}

func runAdd(ctx context.Context, opts addOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		if opts.Facts {
			defer func() {
				if err := a.readFacts(ctx, v, opts.LLM); err != nil {
					fmt.Fprintf(a.stderr, "facts: %v\n", err)
				}
			}()
		}
		var bar *progressbar.ProgressBar
		showBar := isTerminal(a.stderr) && !opts.JSON
		progress := func(p vault.Progress) {
			if showBar {
				if bar == nil {
					bar = progressbar.NewOptions(p.Total, progressbar.OptionSetWriter(a.stderr),
						progressbar.OptionSetDescription("indexing"), progressbar.OptionShowCount(),
						progressbar.OptionShowIts(), progressbar.OptionSetItsString("files"),
						progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
				}
				bar.Set(p.Done)
			}
		}
		start := time.Now()
		eb := a.embedBar()
		if opts.JSON {
			eb.show = false
		}
		sum, err := v.Add(ctx, args, vault.AddOptions{Collection: opts.Collection, Progress: func(p vault.Progress) {
			progress(p)
			if p.Done == p.Total && bar != nil {
				bar.Finish()
			}
		}, EmbedProgress: eb.update})
		if bar != nil {
			bar.Finish()
		}
		eb.finish()
		if err != nil {
			return err
		}
		if opts.JSON {
			return a.printJSON(wire.FromSummary(sum))
		}
		fmt.Fprintf(a.stdout, "%d indexed, %d unchanged, %d already stored under another path, %d failed (%d chunks, %s)\n",
			sum.Indexed, sum.Unchanged, sum.Linked, len(sum.Failed), sum.Chunks, time.Since(start).Round(time.Millisecond))
		if sum.Embedded > 0 {
			fmt.Fprintf(a.stdout, "  %d chunks embedded\n", sum.Embedded)
		}
		if sum.Removed > 0 {
			fmt.Fprintf(a.stdout, "  %d removed (gone from disk)\n", sum.Removed)
		}
		for _, f := range sum.Failed {
			fmt.Fprintf(a.stdout, "  failed: %s: %s\n", f.Path, f.Reason)
		}
		for _, f := range sum.Retrying {
			fmt.Fprintf(a.stdout, "  will retry: %s: %s\n", f.Path, f.Reason)
		}
		for _, f := range sum.Waiting {
			fmt.Fprintf(a.stdout, "  queued: %s: %s\n", f.Path, f.Reason)
		}
		for _, w := range sum.Warnings {
			fmt.Fprintf(a.stdout, "  warning: %s\n", w)
		}
		if sum.Skipped > 0 {
			fmt.Fprintf(a.stdout, "  %d hidden, temporary or unsupported files skipped\n", sum.Skipped)
		}
		return nil
	})
}
