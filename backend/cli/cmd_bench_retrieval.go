package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/eval"
)

func newBenchRetrievalCommand(a *app) *cobra.Command {
	var opts benchRetrievalOptions
	cmd := &cobra.Command{
		Use:   "retrieval --dataset DIR [--split test] [--json]",
		Short: "Score retrieval on a BEIR dataset (or DragonMemory's toy set): NDCG@10, recall, MRR, latency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchRetrieval(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchRetrievalOptions are hoard bench retrieval's flags.
type benchRetrievalOptions struct {
	Dataset, Split string
	Stages         string // configurations separated by ";"
	Model          string // embedder
	Reranker       string
	Keep, PerQuery string
	Forms          []string
	JSON           bool
}

func (o *benchRetrievalOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Dataset, "dataset", "", "dataset folder")
	f.StringVar(&o.Split, "split", "test", "qrels split")
	f.StringVar(&o.Stages, "stages", "", "stage switches: \"-prf,+mmr\" relative to the defaults, or a list such as \"prf,multihop\" (\"none\": BM25 alone; \"-keyword\": vectors alone); several configurations separated by \";\" are scored on one ingest")
	f.BoolVar(&o.JSON, "json", false, "print one JSON object")
	f.StringVar(&o.Model, "model", "", "installed embedder for hybrid search (default: lexical only)")
	f.StringVar(&o.Reranker, "rerank-model", "", "installed reranker (default: none)")
	f.StringSliceVar(&o.Forms, "forms", nil, "vector forms kept (default int8,bit); with float, the vector index's recall against exact search is reported")
	f.StringVar(&o.Keep, "keep", "", "vault folder kept after the run; a later run on the same corpus and model reuses it")
	f.StringVar(&o.PerQuery, "per-query", "", "write each query's NDCG@10 and top ten documents per configuration to this TSV file")
	cobra.MarkFlagRequired(f, "dataset")
}

func runBenchRetrieval(ctx context.Context, opts benchRetrievalOptions, a *app) error {
	ds, err := eval.LoadDataset(opts.Dataset, opts.Split)
	if err != nil {
		return err
	}
	defer ds.Close()
	configs := strings.Split(opts.Stages, ";")
	ropt := eval.RetrievalOptions{Embedder: opts.Model, Reranker: opts.Reranker, Models: a.models(), Keep: opts.Keep, Forms: opts.Forms}
	if opts.PerQuery != "" {
		f, err := os.Create(opts.PerQuery)
		if err != nil {
			return err
		}
		defer f.Close()
		ropt.PerQuery = f
	}
	reps, err := eval.RetrievalConfigs(ctx, ds, ropt, configs)
	if err != nil {
		return err
	}
	if opts.JSON {
		if len(reps) == 1 {
			return a.printJSON(reps[0])
		}
		return a.printJSON(reps)
	}
	for _, r := range reps {
		if ds.Toy {
			fmt.Fprintf(a.stdout, "%s: %d questions, %d docs: hit@1 %.3f, hit@3 %.3f, MRR@3 %.3f; p50 %.2f ms\n",
				r.Dataset, r.Queries, r.Docs, r.Hit1, r.Hit3, r.MRR3, r.P50ms)
			continue
		}
		fmt.Fprintf(a.stdout, "%s (%s): %d queries, %d docs, ingested in %.1f s; stages: %s\n", r.Dataset, opts.Split, r.Queries, r.Docs, r.IngestSeconds, strings.Join(r.Stages, ","))
		if r.Embedder != "" {
			fmt.Fprintf(a.stdout, "  embedder %s\n", r.Embedder)
		}
		if r.IndexRecall10 > 0 {
			fmt.Fprintf(a.stdout, "  vector index recall@10 against exact float search %.4f\n", r.IndexRecall10)
		}
		fmt.Fprintf(a.stdout, "  NDCG@10 %.4f  MRR@10 %.4f  hit@1 %.4f  hit@3 %.4f\n", r.NDCG10, r.MRR10, r.Hit1, r.Hit3)
		fmt.Fprintf(a.stdout, "  Recall@2 %.4f  @5 %.4f  @10 %.4f  @100 %.4f\n", r.Recall2, r.Recall5, r.Recall10, r.Recall100)
		fmt.Fprintf(a.stdout, "  latency p50 %.2f ms  p95 %.2f ms  p99 %.2f ms\n", r.P50ms, r.P95ms, r.P99ms)
	}
	return nil
}

func newBenchParityCommand(a *app) *cobra.Command {
	var opts benchParityOptions
	cmd := &cobra.Command{
		Use:   "parity --dataset DIR --model NAME",
		Short: "Dense-only NDCG@10 as reference figures are made (one vector per document, exact search), to compare with the model's published or Python figure",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchParity(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchParityOptions are hoard bench parity's flags.
type benchParityOptions struct {
	Dataset, Split, Model string
	JSON                  bool
}

func (o *benchParityOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Dataset, "dataset", "", "BEIR dataset folder")
	f.StringVar(&o.Split, "split", "test", "qrels split")
	f.StringVar(&o.Model, "model", "", "installed embedder")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cobra.MarkFlagRequired(f, "dataset")
	cobra.MarkFlagRequired(f, "model")
}

func runBenchParity(ctx context.Context, opts benchParityOptions, a *app) error {
	ds, err := eval.LoadDataset(opts.Dataset, opts.Split)
	if err != nil {
		return err
	}
	defer ds.Close()
	r, err := eval.DenseParity(ctx, ds, eval.ParityOptions{Models: a.models().Dir, Name: opts.Model, ORTLib: a.ortLib, Device: a.device})
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(r)
	}
	fmt.Fprintf(a.stdout, "%s, %s, %s: NDCG@10 %.4f, recall@100 %.4f over %d queries; %d documents embedded in %.0f s; query p50 %.1f ms\n",
		r.Dataset, r.Embedder, r.Config, r.NDCG10, r.Recall100, r.Queries, r.Docs, r.IngestSeconds, r.P50ms)
	return nil
}

func newBenchFuseCommand(a *app) *cobra.Command {
	var opts benchFuseOptions
	cmd := &cobra.Command{
		Use:   "fuse --dataset DIR --model A --second B",
		Short: "Study: does a second embedder's ranking, fused by reciprocal rank, lift the first one's hybrid ranking?",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchFuse(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchFuseOptions are hoard bench fuse's flags.
type benchFuseOptions struct {
	Dataset, Split string
	eval.FuseOptions
	JSON bool
}

func (o *benchFuseOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Dataset, "dataset", "", "BEIR dataset folder, or a documentation folder with a book index")
	f.StringVar(&o.Split, "split", "test", "qrels split")
	f.StringVar(&o.First, "model", "bge-small-en-v1.5", "the first embedder (its hybrid ranking is the baseline)")
	f.StringVar(&o.Second, "second", "e5-small-v2", "the second embedder")
	f.StringVar(&o.KeepFirst, "keep", "", "kept vault folder for the first embedder")
	f.StringVar(&o.KeepSec, "keep-second", "", "kept vault folder for the second embedder")
	f.Float64SliceVar(&o.SecondWeights, "weights", []float64{0.5, 1}, "weights of the second list in the fusion")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cobra.MarkFlagRequired(f, "dataset")
}

func runBenchFuse(ctx context.Context, opts benchFuseOptions, a *app) error {
	ds, err := eval.LoadDataset(opts.Dataset, opts.Split)
	if err != nil {
		return err
	}
	defer ds.Close()
	opt := opts.FuseOptions
	opt.Models = a.models()
	rows, err := eval.Fuse(ctx, ds, opt)
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(rows)
	}
	fmt.Fprintf(a.stdout, "%s (%s):\n", ds.Name, opts.Split)
	for _, r := range rows {
		fmt.Fprintf(a.stdout, "  %-60s NDCG@10 %.4f  R@5 %.4f  R@100 %.4f\n", r.Config, r.NDCG10, r.R5, r.R100)
	}
	return nil
}
