package cli

import (
	"fmt"
	"strings"

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
	cmd.AddCommand(ingest, a.benchRetrievalCmd())
	return cmd
}

func (a *app) benchRetrievalCmd() *cobra.Command {
	var dataset, split, stages string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "retrieval --dataset DIR [--split test] [--json]",
		Short: "Score retrieval on a BEIR dataset (or DragonMemory's toy set): NDCG@10, recall, MRR, latency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ds, err := eval.LoadDataset(dataset, split)
			if err != nil {
				return err
			}
			defer ds.Close()
			r, err := eval.Retrieval(cmd.Context(), ds, eval.RetrievalOptions{Stages: stages})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(r)
			}
			if ds.Toy {
				fmt.Fprintf(a.stdout, "%s: %d questions, %d docs: hit@1 %.3f, hit@3 %.3f, MRR@3 %.3f; p50 %.2f ms\n",
					r.Dataset, r.Queries, r.Docs, r.Hit1, r.Hit3, r.MRR3, r.P50ms)
				return nil
			}
			fmt.Fprintf(a.stdout, "%s (%s): %d queries, %d docs, ingested in %.1f s; stages: %s\n", r.Dataset, split, r.Queries, r.Docs, r.IngestSeconds, strings.Join(r.Stages, ","))
			fmt.Fprintf(a.stdout, "  NDCG@10 %.4f  MRR@10 %.4f  hit@1 %.4f  hit@3 %.4f\n", r.NDCG10, r.MRR10, r.Hit1, r.Hit3)
			fmt.Fprintf(a.stdout, "  Recall@2 %.4f  @5 %.4f  @10 %.4f  @100 %.4f\n", r.Recall2, r.Recall5, r.Recall10, r.Recall100)
			fmt.Fprintf(a.stdout, "  latency p50 %.2f ms  p95 %.2f ms  p99 %.2f ms\n", r.P50ms, r.P95ms, r.P99ms)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "", "dataset folder")
	cmd.Flags().StringVar(&split, "split", "test", "qrels split")
	cmd.Flags().StringVar(&stages, "stages", "", "stage switches: \"-prf,+mmr\" relative to the defaults, or a list such as \"prf,multihop\" (\"none\": BM25 alone)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.MarkFlagRequired("dataset")
	return cmd
}
