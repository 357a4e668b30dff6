package cli

import (
	"context"
	"fmt"
	"html"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

func (a *app) addCmd() *cobra.Command {
	var collection string
	var asJSON, facts bool
	var lf llmFlags
	cmd := &cobra.Command{
		Use:   "add [PATH...]",
		Short: "Index files and folders (folders recursively; a BEIR corpus.jsonl as one document per record); with no path, finish the queued work",
	}
	cmd.Flags().StringVar(&collection, "collection", vault.DefaultCollection, "collection to add to")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	cmd.Flags().BoolVar(&facts, "facts", false, "then have a language model read atomic facts from the new passages (see hoard memory)")
	lf.register(cmd)
	cmd.RunE = a.withVaultLLM(&lf, func(ctx context.Context, v *vault.Vault, args []string) error {
		if facts {
			defer func() {
				if err := a.readFacts(ctx, v, &lf); err != nil {
					fmt.Fprintf(a.stderr, "facts: %v\n", err)
				}
			}()
		}
		var bar *progressbar.ProgressBar
		showBar := isTerminal(a.stderr) && !asJSON
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
		if asJSON {
			eb.show = false
		}
		sum, err := v.Add(ctx, args, vault.AddOptions{Collection: collection, Progress: func(p vault.Progress) {
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
		if asJSON {
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
	return cmd
}

func (a *app) searchCmd() *cobra.Command {
	var limit int
	var asJSON bool
	var f search.Filter
	var since, until string
	cmd := &cobra.Command{
		Use:   "search [flags] QUERY",
		Short: "Search the vault",
		Args:  cobra.MinimumNArgs(1),
	}
	cmd.Flags().IntVarP(&limit, "limit", "n", 10, "number of hits")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print hits as JSON")
	cmd.Flags().StringVar(&f.Collection, "collection", "", "only this collection")
	cmd.Flags().StringVar(&f.MediaType, "type", "", "only this media type (pdf, docx, odt, epub, markdown, html, text, or a MIME type)")
	cmd.Flags().StringVar(&since, "since", "", "only documents dated on or after (YYYY-MM-DD)")
	cmd.Flags().StringVar(&until, "until", "", "only documents dated before (YYYY-MM-DD)")
	var noGroup bool
	cmd.Flags().BoolVar(&noGroup, "no-group", false, "every matching passage, not each document once at its best passage")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		var err error
		if f.Since, err = parseDate(since); err != nil {
			return err
		}
		if f.Until, err = parseDate(until); err != nil {
			return err
		}
		hits, err := v.Search(ctx, search.Request{Query: strings.Join(args, " "), Limit: limit, Filter: f, Group: !noGroup})
		if err != nil {
			return err
		}
		if asJSON {
			// The hits as GET /api/search and the MCP search tool give them.
			return a.printJSON(wire.FromHits(hits))
		}
		if len(hits) == 0 {
			fmt.Fprintln(a.stdout, "no matches")
			return nil
		}
		bold, plain := "**", "**"
		if isTerminal(a.stdout) {
			bold, plain = "\x1b[1m", "\x1b[0m"
		}
		for i, h := range hits {
			loc := h.Path
			if h.Page > 0 {
				loc += " " + search.Pages(h.Page, h.PageEnd)
			}
			if h.Time != nil {
				loc += " " + search.Clock(h.Time.StartMS)
			}
			if h.Heading != "" {
				loc += " › " + h.Heading
			}
			if h.Via != "" {
				loc += "  (" + h.Via + ")"
			}
			snip := strings.NewReplacer("<mark>", bold, "</mark>", plain).Replace(h.Snippet)
			fmt.Fprintf(a.stdout, "%d. %s  [doc %d, score %.2f]\n   %s\n   %s\n", i+1, h.Title, h.DocID, h.Score, loc,
				html.UnescapeString(strings.Join(strings.Fields(snip), " ")))
			if h.More > 0 {
				fmt.Fprintf(a.stdout, "   + %d more in this document (--no-group lists them)\n", h.More)
			}
		}
		return nil
	})
	return cmd
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

func (a *app) lsCmd() *cobra.Command {
	var asJSON bool
	var opt vault.ListOptions
	cmd := &cobra.Command{Use: "ls", Short: "List documents", Args: cobra.NoArgs}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().StringVar(&opt.Collection, "collection", "", "only this collection")
	choiceVar(cmd, &opt.Status, "status", "", "only this status (indexed or failed; what waits is in `hoard status`)", vault.StatusIndexed, vault.StatusFailed, vault.StatusQueued)
	cmd.Flags().IntVar(&opt.Limit, "limit", 0, "at most this many (0: all)")
	cmd.Flags().IntVar(&opt.Offset, "offset", 0, "skip this many")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, _ []string) error {
		docs, total, err := v.Documents(ctx, opt)
		if err != nil {
			return err
		}
		if asJSON {
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
	return cmd
}

func (a *app) rmCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rm DOC...", Short: "Remove documents by id or path", Args: cobra.MinimumNArgs(1)}
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		if err := v.Remove(ctx, args...); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "removed %d\n", len(args))
		return nil
	})
	return cmd
}

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "status", Short: "Show vault figures and versions", Args: cobra.NoArgs}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, _ []string) error {
		st, err := v.Status(ctx)
		if err != nil {
			return err
		}
		if asJSON {
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
	return cmd
}

func (a *app) exportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "export FILE", Short: "Write the whole vault to one portable file (API keys and tokens left out)", Args: cobra.ExactArgs(1)}
	var opt vault.ExportOptions
	cmd.Flags().BoolVar(&opt.NoVectors, "no-vectors", false, "leave the vectors out (the importing vault embeds the chunks again)")
	cmd.Flags().BoolVar(&opt.WithSecrets, "with-secrets", false, "keep API keys and tokens in the settings")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		n, err := v.ExportWith(ctx, args[0], opt)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(args[0])
		fmt.Fprintf(a.stdout, "exported %d documents to %s\n", n, abs)
		return nil
	})
	return cmd
}

func (a *app) importCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "import FILE", Short: "Read a vault export into this vault: all of it, or nothing when it fails", Args: cobra.ExactArgs(1)}
	var opt vault.ImportOptions
	cmd.Flags().BoolVar(&opt.Watched, "watch", false, "watch the export's watched folders here too")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		res, err := v.ImportWith(ctx, args[0], opt)
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
	return cmd
}
