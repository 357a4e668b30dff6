package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/eval"
)

func (a *app) benchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure Hoard on benchmark datasets"}
	var corpus, queries, qrels string
	var asJSON bool
	ingest := &cobra.Command{
		Use:   "ingest --corpus corpus.jsonl [--queries queries.jsonl [--qrels qrels.tsv]]",
		Short: "Ingest a BEIR corpus into a temporary vault and time searches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var qs []eval.Query
			if queries != "" {
				var err error
				if qs, err = eval.LoadQueries(queries, qrels); err != nil {
					return err
				}
			}
			r, err := eval.Ingest(cmd.Context(), corpus, qs)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(r)
			}
			fmt.Fprintf(a.stdout, "ingest: %d documents, %d chunks in %.2f s (%.0f docs/s), vault %s, %d failed\n",
				r.Docs, r.Chunks, r.IngestSeconds, r.DocsPerSecond, humanBytes(r.VaultBytes), r.Failed)
			if r.Queries > 0 {
				fmt.Fprintf(a.stdout, "search: %d queries, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n", r.Queries, r.P50ms, r.P95ms, r.P99ms)
			}
			return nil
		},
	}
	ingest.Flags().StringVar(&corpus, "corpus", "", "BEIR corpus.jsonl")
	ingest.Flags().StringVar(&queries, "queries", "", "BEIR queries.jsonl")
	ingest.Flags().StringVar(&qrels, "qrels", "", "qrels TSV: only the queries it judges are run")
	ingest.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	ingest.MarkFlagRequired("corpus")
	cmd.AddCommand(ingest)
	return cmd
}
