package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

func newStatusCommand(a *app) *cobra.Command {
	var opts statusOptions
	cmd := &cobra.Command{Use: "status", Short: "Show vault figures and versions", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// statusOptions are hoard status's flags.
type statusOptions struct {
	JSON bool
}

func (o *statusOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print as JSON")
}

func runStatus(ctx context.Context, opts statusOptions, a *app) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		st, err := v.Status(ctx)
		if err != nil {
			return err
		}
		if opts.JSON {
			return a.printJSON(wire.FromStatus(st))
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "vault\t%s\n", st.Vault)
		fmt.Fprintf(tw, "documents\t%d (%d indexed, %d failed)\n", st.Documents, st.Indexed, st.Failed)
		fmt.Fprintf(tw, "paths\t%d\n", st.Sources)
		fmt.Fprintf(tw, "chunks\t%d\n", st.Chunks)
		fmt.Fprintf(tw, "size\t%s\n", humanBytes(st.Bytes))
		fmt.Fprintf(tw, "schema\t%d\n", st.Schema)
		fmt.Fprintf(tw, "sqlite\t%s\n", st.SQLiteVersion)
		fmt.Fprintf(tw, "sqlite-vec\t%s\n", st.VecVersion)
		n := st.Neural
		fmt.Fprintf(tw, "bytes per chunk\ttext %.0f, full-text index %.0f, vectors %d\n", n.TextBytes, n.IndexBytes, n.VectorBytes)
		switch {
		case n.VectorModel != "":
			fmt.Fprintf(tw, "vectors\t%s, %d dims, %v: %d chunks embedded, %d pending\n", n.VectorModel, n.Dims, n.VectorForms, n.Embedded, n.Pending)
			if n.SwitchTo != "" {
				fmt.Fprintf(tw, "new vectors\t%s: %d of %d chunks (these serve when complete; `hoard reindex --vectors` resumes)\n", n.SwitchTo, n.SwitchDone, n.SwitchDone+n.SwitchPending)
			}
		default:
			fmt.Fprintf(tw, "vectors\tnone\n")
		}
		if n.Embedder != "" {
			fmt.Fprintf(tw, "embedder\t%s on %s (ONNX Runtime %s); hybrid search %v\n", n.Embedder, n.Device, n.Runtime, n.HybridActive)
		}
		if n.Note != "" {
			fmt.Fprintf(tw, "note\t%s\n", n.Note)
		}
		switch tr := st.Transcription; {
		case tr.Engine == "whisper.cpp":
			fmt.Fprintf(tw, "transcription\t%s in process (%s)\n", tr.Model, tr.Engine)
		case tr.Engine == "server":
			fmt.Fprintf(tw, "transcription\t%s (server)\n", tr.URL)
		default:
			fmt.Fprintf(tw, "transcription\tnone\n")
		}
		if st.Transcription.Note != "" {
			fmt.Fprintf(tw, "\t%s\n", st.Transcription.Note)
		}
		switch ch := st.Chat; {
		case ch.Available:
			fmt.Fprintf(tw, "chat\tbuilt-in runner with %s (%s)\n", ch.Model, ch.Runner)
		default:
			fmt.Fprintf(tw, "chat\tno built-in runner: %s\n", ch.Note)
		}
		for _, w := range st.Watched {
			fmt.Fprintf(tw, "watching\t%s\n", w.Path)
		}
		if w := st.Watch; w.Running {
			line := "following changes"
			if w.Retrying {
				line = w.Message
			}
			if w.Pid != 0 {
				line += fmt.Sprintf(" (hoard, process %d)", w.Pid)
			}
			fmt.Fprintf(tw, "watch\t%s\n", line)
		}
		q := st.Queue
		fmt.Fprintf(tw, "queue\t%d pending (%d retrying), %d running, %d waiting\n", q.Pending, q.Retrying, q.Running, q.Waiting)
		for _, it := range q.Items {
			line := fmt.Sprintf("%s %s %s", it.State, it.Op, it.Path)
			if p := it.Progress; p != nil {
				line += fmt.Sprintf(" (%s of %s transcribed)", search.Clock(p.DoneMS), search.Clock(p.TotalMS))
			}
			if it.Reason != "" {
				line += ": " + it.Reason
			}
			if !it.NotBefore.IsZero() && it.NotBefore.After(time.Now()) {
				line += fmt.Sprintf(" (attempt %d, next in %s)", it.Attempts+1, time.Until(it.NotBefore).Round(time.Second))
			}
			fmt.Fprintf(tw, "\t%s\n", line)
		}
		if more := q.Total() - len(q.Items); more > 0 {
			fmt.Fprintf(tw, "\t… and %d more\n", more)
		}
		return tw.Flush()
	})
}
