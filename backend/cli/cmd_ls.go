package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

func newLsCommand(a *app) *cobra.Command {
	var opts lsOptions
	cmd := &cobra.Command{Use: "ls", Short: "List documents", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLs(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// lsOptions are hoard ls's flags.
type lsOptions struct {
	JSON bool
	vault.ListOptions
}

func (o *lsOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print as JSON")
	f.StringVar(&o.Collection, "collection", "", "only this collection")
	choiceVar(f, &o.Status, "status", "", "only this status (indexed or failed; what waits is in `hoard status`)", vault.StatusIndexed, vault.StatusFailed, vault.StatusQueued)
	f.IntVar(&o.Limit, "limit", 0, "at most this many (0: all)")
	f.IntVar(&o.Offset, "offset", 0, "skip this many")
}

func runLs(ctx context.Context, opts lsOptions, a *app) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		docs, total, err := v.Documents(ctx, opts.ListOptions)
		if err != nil {
			return err
		}
		if opts.JSON {
			return a.printJSON(wire.FromDocuments(docs))
		}
		if total == 0 {
			fmt.Fprintln(a.stdout, "the vault is empty: add documents with `hoard add PATH`")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tPAGES\tCHUNKS\tTITLE\tPATH")
		for _, d := range docs {
			status := d.Status
			if d.Error != "" {
				status += " (" + d.Error + ")"
			}
			path := ""
			if len(d.Paths) > 0 {
				path = d.Paths[0]
				if len(d.Paths) > 1 {
					path += fmt.Sprintf(" (+%d)", len(d.Paths)-1)
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\n", d.ID, status, d.Pages, d.Chunks, d.Title, path)
		}
		tw.Flush()
		if len(docs) < total {
			fmt.Fprintf(a.stdout, "(%d of %d)\n", len(docs), total)
		}
		return nil
	})
}

func newRmCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "rm DOC...", Short: "Remove documents by id or path", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRm(cmd.Context(), a, args)
		},
	}
}

func runRm(ctx context.Context, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		if err := v.Remove(ctx, args...); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "removed %d\n", len(args))
		return nil
	})
}
