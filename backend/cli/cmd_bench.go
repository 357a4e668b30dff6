package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/eval"
)

func newBenchCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure Hoard on benchmark datasets"}
	cmd.AddCommand(newBenchIngestCommand(a), newBenchRetrievalCommand(a), newBenchVectorsCommand(a), newBenchEmbedCommand(a), newBenchParityCommand(a),
		newBenchTranscribeCommand(a), newBenchAnswersCommand(a), newBenchWatchCommand(a), newBenchFuseCommand(a), newBenchEventsCommand(a),
		newBenchCrashCommand(a), newBenchLLMCommand(a))
	return cmd
}

func newBenchIngestCommand(a *app) *cobra.Command {
	var opts benchIngestOptions
	cmd := &cobra.Command{
		Use:   "ingest --corpus corpus.jsonl [--queries queries.jsonl [--qrels qrels.tsv]] [--engine naive-fts5]",
		Short: "Ingest a BEIR corpus into a temporary vault (or a naive FTS5 table) and time searches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchIngest(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchIngestOptions are hoard bench ingest's flags.
type benchIngestOptions struct {
	Corpus, Queries, Qrels string
	Engine                 string // hoard or naive-fts5
	JSON                   bool
}

func (o *benchIngestOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Corpus, "corpus", "", "BEIR corpus.jsonl")
	f.StringVar(&o.Queries, "queries", "", "BEIR queries.jsonl")
	f.StringVar(&o.Qrels, "qrels", "", "qrels TSV: only the queries it judges are run")
	f.BoolVar(&o.JSON, "json", false, "print as JSON")
	f.StringVar(&o.Engine, "engine", "hoard", "hoard, or naive-fts5: the corpus in one plain FTS5 table (the floor Hoard is measured against)")
	cobra.MarkFlagRequired(f, "corpus")
}

func runBenchIngest(ctx context.Context, opts benchIngestOptions, a *app) error {
	var qs []eval.Query
	if opts.Queries != "" {
		var err error
		if qs, err = eval.LoadQueries(opts.Queries, opts.Qrels); err != nil {
			return err
		}
	}
	var r eval.IngestReport
	var err error
	switch opts.Engine {
	case "hoard":
		r, err = eval.Ingest(ctx, opts.Corpus, qs, a.neural())
	case "naive-fts5":
		r, err = eval.NaiveFTS5Ingest(ctx, opts.Corpus, qs)
	default:
		err = fmt.Errorf("--engine %q: hoard or naive-fts5", opts.Engine)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(r)
	}
	fmt.Fprintf(a.stdout, "ingest: %d documents, %d chunks in %.2f s (%.0f docs/s), vault %s, %d failed\n",
		r.Docs, r.Chunks, r.IngestSeconds, r.DocsPerSecond, humanBytes(r.VaultBytes), r.Failed)
	if r.Queries > 0 {
		fmt.Fprintf(a.stdout, "search: %d queries, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n", r.Queries, r.P50ms, r.P95ms, r.P99ms)
	}
	return nil
}

// orSelf fills an empty binary path with this executable's.
func orSelf(bin *string) error {
	if *bin != "" {
		return nil
	}
	self, err := os.Executable()
	*bin = self
	return err
}

// logf prints a bench's progress lines on stderr.
func (a *app) logf(format string, args ...any) { fmt.Fprintf(a.stderr, format+"\n", args...) }
