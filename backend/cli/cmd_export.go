package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/vault"
)

func newExportCommand(a *app) *cobra.Command {
	var opts exportOptions
	cmd := &cobra.Command{Use: "export FILE", Short: "Write the whole vault to one portable file (API keys and tokens left out)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// exportOptions are hoard export's flags.
type exportOptions struct {
	vault.ExportOptions
}

func (o *exportOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.NoVectors, "no-vectors", false, "leave the vectors out (the importing vault embeds the chunks again)")
	f.BoolVar(&o.WithSecrets, "with-secrets", false, "keep API keys and tokens in the settings")
}

func runExport(ctx context.Context, opts exportOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		n, err := v.ExportWith(ctx, args[0], opts.ExportOptions)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(args[0])
		fmt.Fprintf(a.stdout, "exported %d documents to %s\n", n, abs)
		return nil
	})
}

func newImportCommand(a *app) *cobra.Command {
	var opts importOptions
	cmd := &cobra.Command{Use: "import FILE", Short: "Read a vault export into this vault: all of it, or nothing when it fails", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// importOptions are hoard import's flags.
type importOptions struct {
	vault.ImportOptions
}

func (o *importOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Watched, "watch", false, "watch the export's watched folders here too")
}

func runImport(ctx context.Context, opts importOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		res, err := v.ImportWith(ctx, args[0], opts.ImportOptions)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "imported %d documents (%d already in the vault), %d conversations, %d settings\n", res.Added, res.Existing, res.Conversations, res.Settings)
		if _, pending, err := v.VectorCounts(ctx); err == nil && pending > 0 {
			fmt.Fprintf(a.stdout, "embedding %d chunks the export brought no vectors of this vault's model for\n", pending)
			if _, err := v.Reindex(ctx, vault.ReindexOptions{Vectors: true}); err != nil {
				return err
			}
		} else if res.VectorsSkipped > 0 {
			fmt.Fprintf(a.stdout, "%d vectors were another model's: this vault's model makes them again (hoard reindex --vectors)\n", res.VectorsSkipped)
		}
		if res.WatchedSkipped > 0 {
			fmt.Fprintf(a.stdout, "%d watched folders not resumed (import --watch, or hoard watch FOLDER)\n", res.WatchedSkipped)
		}
		if res.Queued == 0 {
			return nil
		}
		sum, err := v.Drain(ctx, vault.AddOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "indexed %d queued documents\n", sum.Indexed)
		return nil
	})
}
