package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/vault"
)

func newReindexCommand(a *app) *cobra.Command {
	var opts reindexOptions
	cmd := &cobra.Command{Use: "reindex --vectors", Short: "Rebuild derived data: --vectors embeds every chunk without a vector (resumable)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReindex(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// reindexOptions are hoard reindex's flags.
type reindexOptions struct {
	Vectors bool
}

func (o *reindexOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Vectors, "vectors", false, "embed chunks that have no vector (all of them after a model change)")
}

func runReindex(ctx context.Context, opts reindexOptions, a *app) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		if !opts.Vectors {
			return fmt.Errorf("nothing to do: say what to rebuild (--vectors)")
		}
		bar := a.embedBar()
		start := time.Now()
		n, err := v.Reindex(ctx, vault.ReindexOptions{Vectors: true, Progress: bar.update})
		bar.finish()
		if err != nil {
			return fmt.Errorf("%w (%d chunks embedded; run again to resume)", err, n)
		}
		fmt.Fprintf(a.stdout, "%d chunks embedded in %s\n", n, time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// embedBar shows vector indexing on a terminal.
type embedBar struct {
	show bool
	a    *app
	bar  *progressbar.ProgressBar
}

func (a *app) embedBar() *embedBar { return &embedBar{show: isTerminal(a.stderr), a: a} }

func (b *embedBar) update(p vault.EmbedProgress) {
	if !b.show {
		return
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions(p.Total, progressbar.OptionSetWriter(b.a.stderr), progressbar.OptionSetDescription("embedding"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("chunks"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	b.bar.Set(p.Done)
}

func (b *embedBar) finish() {
	if b.bar != nil {
		b.bar.Finish()
	}
}
