package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/vault"
)

func newWatchCommand(a *app) *cobra.Command {
	var opts watchCmdOptions
	cmd := &cobra.Command{
		Use:   "watch [DIR...]",
		Short: "Keep folders and the vault in step: index what is added or changed, forget what is deleted",
		Long: "Adds the folders to the vault's watched folders (kept in the vault: `hoard serve` and the desktop\n" +
			"app resume them) and follows them in the foreground until Ctrl-C. With no folder it follows the\n" +
			"watched ones. Changes made while Hoard was closed are caught up first. Files named by a\n" +
			".hoardignore (gitignore syntax), hidden files and editor temporary files are left alone.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWatch(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// watchCmdOptions are hoard watch's flags.
type watchCmdOptions struct {
	Collection   string // for documents from the new folders
	List, Remove bool
	Poll, Settle time.Duration
}

func (o *watchCmdOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Collection, "collection", vault.DefaultCollection, "collection for documents from the new folders")
	f.BoolVar(&o.List, "list", false, "list the watched folders and exit")
	f.BoolVar(&o.Remove, "rm", false, "stop watching the folders given (what was indexed stays)")
	f.DurationVar(&o.Settle, "settle", 0, "how long a file must be quiet before it is indexed (default 300ms)")
	f.DurationVar(&o.Poll, "poll", 0, "how often folders past the system's watch limit are scanned (default 30s)")
}

func runWatch(ctx context.Context, opts watchCmdOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		switch {
		case opts.Remove:
			if len(args) == 0 {
				return errors.New("name the folders to stop watching")
			}
			for _, d := range args {
				if err := v.RemoveWatched(ctx, d); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "no longer watching %s\n", d)
			}
			return nil
		case opts.List:
			ws, err := v.Watched(ctx)
			if err != nil {
				return err
			}
			for _, w := range ws {
				fmt.Fprintf(a.stdout, "%s\t%s\n", w.Path, w.Collection)
			}
			return nil
		}
		for _, d := range args {
			if _, err := v.AddWatched(ctx, d, opts.Collection); err != nil {
				return err
			}
		}
		return v.Watch(ctx, a.watchOptions(opts.Settle, opts.Poll))
	})
}

// watchOptions prints a watch's live status: one line per file and the
// queue after each pass.
func (a *app) watchOptions(settle, poll time.Duration) vault.WatchOptions {
	return vault.WatchOptions{
		Settle: settle, Poll: poll,
		Progress: func(p vault.Progress) {
			ts := time.Now().Format("15:04:05")
			switch p.Outcome {
			case vault.OutIndexed, vault.OutLinked, vault.OutRemoved:
				fmt.Fprintf(a.stdout, "%s %-8s %s\n", ts, p.Outcome, p.Path)
			case vault.OutFailed, vault.OutRetry, vault.OutWaiting:
				fmt.Fprintf(a.stdout, "%s %-8s %s: %s\n", ts, p.Outcome, p.Path, p.Reason)
			}
		},
		Ready: func(s vault.WatchState) {
			msg := fmt.Sprintf("watching %s (%d folders followed", plural(s.Folders, "folder"), s.Watched)
			if s.Polled > 0 {
				msg += fmt.Sprintf(", %d scanned periodically", s.Polled)
			}
			fmt.Fprintf(a.stdout, "%s); %s. Ctrl-C stops.\n", msg, queueLine(s.Queue))
		},
		Drained: func(sum vault.Summary, s vault.WatchState) {
			if s.Queue.Total() > 0 {
				fmt.Fprintf(a.stdout, "%s %s\n", time.Now().Format("15:04:05"), queueLine(s.Queue))
			}
		},
		Warn: func(msg string) { fmt.Fprintf(a.stderr, "warning: %s\n", msg) },
	}
}

func queueLine(q vault.QueueStats) string {
	if q.Total() == 0 {
		return "queue empty"
	}
	return fmt.Sprintf("queue: %d pending (%d to retry), %d waiting for a transcription engine", q.Pending, q.Retrying, q.Waiting)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
