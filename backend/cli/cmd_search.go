package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

func newSearchCommand(a *app) *cobra.Command {
	var opts searchOptions
	cmd := &cobra.Command{
		Use:   "search [flags] QUERY",
		Short: "Search the vault",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSearch(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// searchOptions are hoard search's flags.
type searchOptions struct {
	Limit        int
	JSON         bool
	Filter       search.Filter // its dates from Since and Until
	Since, Until string        // YYYY-MM-DD
	NoGroup      bool
}

func (o *searchOptions) AddFlags(f *pflag.FlagSet) {
	f.IntVarP(&o.Limit, "limit", "n", 10, "number of hits")
	f.BoolVar(&o.JSON, "json", false, "print hits as JSON")
	f.StringVar(&o.Filter.Collection, "collection", "", "only this collection")
	f.StringVar(&o.Filter.MediaType, "type", "", "only this media type (pdf, docx, odt, epub, markdown, html, text, or a MIME type)")
	f.StringVar(&o.Since, "since", "", "only documents dated on or after (YYYY-MM-DD)")
	f.StringVar(&o.Until, "until", "", "only documents dated before (YYYY-MM-DD)")
	f.BoolVar(&o.NoGroup, "no-group", false, "every matching passage, not each document once at its best passage")
}

func runSearch(ctx context.Context, opts searchOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		f := opts.Filter
		var err error
		if f.Since, err = parseDate(opts.Since); err != nil {
			return err
		}
		if f.Until, err = parseDate(opts.Until); err != nil {
			return err
		}
		hits, err := v.Search(ctx, search.Request{Query: strings.Join(args, " "), Limit: opts.Limit, Filter: f, Group: !opts.NoGroup})
		if err != nil {
			return err
		}
		return a.printHits(hits, opts.JSON)
	})
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return t, fmt.Errorf("date %q: use YYYY-MM-DD", s)
	}
	return t, nil
}
