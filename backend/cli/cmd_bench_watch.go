package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/eval"
)

func newBenchWatchCommand(a *app) *cobra.Command {
	var opts benchWatchOptions
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Time a watched folder: saved note to searchable (p50/p95), and indexing throughput and peak memory by folder size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchWatch(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchWatchOptions are hoard bench watch's flags.
type benchWatchOptions struct {
	eval.WatchOptions
	JSON bool
}

func (o *benchWatchOptions) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&o.Samples, "samples", 30, "saved notes to time")
	f.IntSliceVar(&o.Sizes, "files", []int{1000, 10000, 30000}, "folder sizes (files) for throughput and memory")
	f.DurationVar(&o.Settle, "settle", 0, "how long a file must be quiet before it is indexed (default 300ms)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runBenchWatch(ctx context.Context, opts benchWatchOptions, a *app) error {
	opt := opts.WatchOptions
	if !opts.JSON {
		opt.Log = a.logf
	}
	rep, err := eval.Watch(ctx, opt)
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(rep)
	}
	fmt.Fprintf(a.stdout, "save → searchable (Markdown note, settle %d ms, %d samples): p50 %.0f ms, p95 %.0f ms\n",
		rep.SettleMS, rep.Samples, rep.P50MS, rep.P95MS)
	for _, f := range rep.Folders {
		fmt.Fprintf(a.stdout, "folder of %d files: indexed in %.1f s (%.0f files/s), peak Go heap %.1f MiB\n",
			f.Files, f.Seconds, f.FilesPerSec, f.PeakHeapMiB)
	}
	fmt.Fprintf(a.stdout, "peak resident memory of the whole run: %.0f MiB\n", rep.PeakRSSMiB)
	return nil
}

func newBenchEventsCommand(a *app) *cobra.Command {
	var opts benchEventsOptions
	cmd := &cobra.Command{
		Use:   "events --dir DIR [--bin PATH]",
		Short: "What open /api/events streams cost a hoard serve process: its idle CPU and search throughput with 0, 20, 100 streams",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchEvents(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchEventsOptions are hoard bench events's flags.
type benchEventsOptions struct {
	eval.EventsOptions
	JSON bool
}

func (o *benchEventsOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Bin, "bin", "", "hoard binary to measure (default: this one)")
	f.StringVar(&o.Dir, "dir", "", "work folder: the corpus and the vault stay there for the next run")
	f.IntVar(&o.Docs, "docs", 20000, "documents in the vault")
	f.IntSliceVar(&o.Streams, "streams", []int{0, 20, 100}, "open event streams to measure with (hoard serve takes 128 connections)")
	f.Float64Var(&o.Seconds, "seconds", 5, "seconds of each measurement")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cobra.MarkFlagRequired(f, "dir")
}

func runBenchEvents(ctx context.Context, opts benchEventsOptions, a *app) error {
	opt := opts.EventsOptions
	if err := orSelf(&opt.Bin); err != nil {
		return err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return err
	}
	if !opts.JSON {
		opt.Log = a.logf
	}
	rows, err := eval.EventsCost(ctx, opt)
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(rows)
	}
	fmt.Fprintf(a.stdout, "%s, %d documents:\n", opt.Bin, opt.Docs)
	for _, r := range rows {
		fmt.Fprintf(a.stdout, "  %4d open streams: idle %.3f cores, search %.0f requests/s\n", r.Streams, r.IdleCores, r.SearchQPS)
	}
	return nil
}

func newBenchCrashCommand(a *app) *cobra.Command {
	var opts benchCrashOptions
	cmd := &cobra.Command{
		Use:   "crash --dir DIR",
		Short: "Audit: kill -9 hoard add, watch and serve at random moments of real work; count notes lost, torn or stored twice, and vaults failing their integrity check",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchCrash(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchCrashOptions are hoard bench crash's flags.
type benchCrashOptions struct {
	eval.CrashOptions
	JSON bool
}

func (o *benchCrashOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Bin, "bin", "", "hoard binary to kill (default: this one)")
	f.StringVar(&o.Dir, "dir", "", "work folder")
	f.StringSliceVar(&o.Modes, "modes", []string{"add", "watch", "serve"}, "what to kill")
	f.IntVar(&o.Trials, "trials", 20, "kills per mode")
	f.IntVar(&o.Notes, "notes", 300, "notes a trial adds, writes or uploads")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cobra.MarkFlagRequired(f, "dir")
}

func runBenchCrash(ctx context.Context, opts benchCrashOptions, a *app) error {
	opt := opts.CrashOptions
	if err := orSelf(&opt.Bin); err != nil {
		return err
	}
	if !opts.JSON {
		opt.Log = a.logf
	}
	rows, err := eval.CrashAudit(ctx, opt)
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(rows)
	}
	for _, r := range rows {
		fmt.Fprintf(a.stdout, "%-5s %d trials (%d killed mid-work): %d notes stored, %d lost, %d torn, %d twice, %d integrity failures\n",
			r.Mode, r.Trials, r.Killed, r.Stored, r.Lost, r.Torn, r.Twice, r.Integrity)
	}
	return nil
}
