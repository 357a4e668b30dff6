package cli

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/vault"
)

// newWindowCommand opens the desktop window (desktop builds only).
func newWindowCommand(a *app, window Window) *cobra.Command {
	var opts windowOptions
	cmd := &cobra.Command{
		Use:   "window",
		Short: "Open Hoard's window (what `hoard` alone does in the desktop app)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.LLM.Explicit = llmFlagsGiven(cmd.Flags())
			return runWindow(cmd.Context(), opts, a, window)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// windowOptions are hoard window's flags (hoard's alone in the desktop
// app).
type windowOptions struct {
	LLM llmOptions
}

func (o *windowOptions) AddFlags(f *pflag.FlagSet) { o.LLM.AddFlags(f) }

func runWindow(ctx context.Context, opts windowOptions, a *app, window Window) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		return window(ctx, v, func(ctx context.Context) vault.AskOptions { return opts.LLM.askOptions(ctx, v) })
	})
}
