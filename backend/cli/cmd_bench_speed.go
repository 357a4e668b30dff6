package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/eval"
	"github.com/hoardvault/hoard/backend/infer"
)

func newBenchVectorsCommand(a *app) *cobra.Command {
	var opts benchVectorsOptions
	cmd := &cobra.Command{
		Use:   "vectors",
		Short: "Time vector search (float, int8, binary+rescore) and the hybrid query at several vault sizes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchVectors(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchVectorsOptions are hoard bench vectors's flags.
type benchVectorsOptions struct {
	eval.VectorOptions
	Sizes []int // stored chunks, one run each
	JSON  bool
}

func (o *benchVectorsOptions) AddFlags(f *pflag.FlagSet) {
	f.IntSliceVar(&o.Sizes, "n", []int{100000}, "stored chunks (several: --n 100000,1000000)")
	f.IntVar(&o.Dims, "dims", 384, "vector width")
	f.BoolVar(&o.Clustered, "clustered", false, "vectors around topic centres and queries near stored ones (like real embeddings); default uniform random")
	f.IntVar(&o.Queries, "queries", 50, "queries per size")
	f.StringVar(&o.Dir, "dir", "", "keep the database in this folder and reuse it (one size per folder)")
	f.StringVar(&o.Export, "export", "", "write the vectors, queries and exact top 10s to this folder for a peer engine (bench/lancedb; one size)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runBenchVectors(ctx context.Context, opts benchVectorsOptions, a *app) error {
	opt := opts.VectorOptions
	if !opts.JSON {
		opt.Log = a.logf
	}
	var reps []eval.VectorReport
	for _, n := range opts.Sizes {
		o := opt
		o.N = n
		rep, err := eval.Vectors(ctx, o)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
		if !opts.JSON {
			kind := "uniform"
			if rep.Clustered {
				kind = "clustered"
			}
			fmt.Fprintf(a.stdout, "%s: %d chunks × %d dims (built in %.0f s, %s): exact float p50 %.1f ms; int8 p50 %.1f ms (recall@10 %.3f); "+
				"binary+int8 rescore p50 %.1f ms (recall@10 %.3f, %d rescored, index %s in memory, loaded in %.0f ms); hybrid query p50 %.1f ms, p95 %.1f ms\n",
				kind, rep.N, rep.Dims, rep.BuildSeconds, humanBytes(rep.DBBytes), rep.FloatP50, rep.Int8P50, rep.Int8Recall,
				rep.BinaryP50, rep.RecallAt10, rep.Shortlist, humanBytes(int64(rep.IndexBytes)), rep.IndexLoadMS, rep.HybridP50, rep.HybridP95)
			fmt.Fprintf(a.stdout, "  first query while loading %.0f ms; partition %d lists, %d probed (ready at %.0f ms; 0: flat scan); heap +%s, RSS %s\n",
				rep.FirstQueryMS, rep.Lists, rep.Probe, rep.PartitionMS, humanBytes(int64(rep.HeapBytes)), humanBytes(rep.RSSBytes))
			fmt.Fprintf(a.stdout, "  saved index %s in %.0f ms; a start with it: first answer %.0f ms after opening (from the file: %v)\n",
				humanBytes(rep.SidecarBytes), rep.SaveMS, rep.ReadyMS, rep.ReadyHeld)
		}
	}
	if opts.JSON {
		return a.printJSON(reps)
	}
	return nil
}

func newBenchEmbedCommand(a *app) *cobra.Command {
	var opts benchEmbedOptions
	cmd := &cobra.Command{
		Use:   "embed",
		Short: "Embedding throughput (chunks/s at several batch sizes) and single-query latency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchEmbed(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchEmbedOptions are hoard bench embed's flags.
type benchEmbedOptions struct {
	eval.EmbedOptions
	Corpus   string // passages from this BEIR corpus
	N        int    // passages
	Mixed    bool   // of mixed lengths
	TextsOut string // the passages used, written here
	JSON     bool
}

func (o *benchEmbedOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Model, "model", "", "model.onnx")
	f.StringVar(&o.Tokenizer, "tokenizer", "", "tokenizer.json")
	f.StringVar(&o.Corpus, "corpus", "", "BEIR corpus.jsonl to take passages from")
	f.IntVar(&o.N, "n", 256, "passages")
	f.IntVar(&o.Tokens, "tokens", 256, "tokens per passage")
	f.BoolVar(&o.Mixed, "mixed", false, "passages of mixed lengths, 32 to --tokens tokens (as real chunks)")
	f.IntSliceVar(&o.Batches, "batch", []int{1, 8, 32}, "batch sizes")
	f.IntVar(&o.Threads, "threads", 0, "ONNX Runtime threads (0: one per CPU)")
	f.BoolVar(&o.AsFile, "as-file", false, "run the model's graph as the file has it, without Hoard's rewrite (for comparing)")
	f.StringVar(&o.TextsOut, "texts-out", "", "write the passages used as a JSON array (for comparing other systems)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	cobra.MarkFlagRequired(f, "model")
	cobra.MarkFlagRequired(f, "tokenizer")
	cobra.MarkFlagRequired(f, "corpus")
}

func runBenchEmbed(ctx context.Context, opts benchEmbedOptions, a *app) error {
	opt := opts.EmbedOptions
	tok, err := infer.LoadTokenizer(opt.Tokenizer)
	if err != nil {
		return err
	}
	var texts []string
	err = eval.EachCorpusText(opts.Corpus, func(t string) bool {
		texts = append(texts, t)
		return len(texts) < opts.N
	})
	if err != nil {
		return err
	}
	opt.Texts = eval.CutToTokens(tok, texts, opt.Tokens, opts.Mixed)
	if opts.TextsOut != "" {
		raw, _ := json.Marshal(opt.Texts)
		if err := os.WriteFile(opts.TextsOut, raw, 0o644); err != nil {
			return err
		}
	}
	rep, err := eval.Embed(ctx, opt)
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(rep)
	}
	fmt.Fprintf(a.stdout, "ONNX Runtime %s on %s, graph %s; single query p50 %.1f ms\n", rep.Runtime, rep.Device, rep.Graph, rep.QueryP50ms)
	for _, r := range rep.Runs {
		fmt.Fprintf(a.stdout, "  batch %3d: %6.1f chunks/s (%d chunks of %.0f tokens in %.1f s)\n", r.Batch, r.ChunksPerSec, r.Texts, r.AvgTokens, r.Seconds)
	}
	return nil
}

func newBenchTranscribeCommand(a *app) *cobra.Command {
	var opts benchTranscribeOptions
	cmd := &cobra.Command{
		Use:   "transcribe --model NAME FILE...",
		Short: "Transcription speed (audio seconds per wall second) of the whole voice-note path with an installed whisper model",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchTranscribe(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchTranscribeOptions are hoard bench transcribe's flags.
type benchTranscribeOptions struct {
	Model   string
	Threads int
	JSON    bool
}

func (o *benchTranscribeOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Model, "model", "whisper-base", "installed whisper model")
	f.IntVar(&o.Threads, "threads", 0, "whisper.cpp threads (0: one per CPU)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runBenchTranscribe(ctx context.Context, opts benchTranscribeOptions, a *app, args []string) error {
	runs, err := eval.Transcribe(ctx, eval.TranscribeOptions{Models: a.models(), Model: opts.Model, Files: args, Threads: opts.Threads})
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(runs)
	}
	for _, r := range runs {
		fmt.Fprintf(a.stdout, "%s, %s: %.1f s of audio in %.2f s: %.1fx real time\n", opts.Model, filepath.Base(r.File), r.AudioSeconds, r.WallSeconds, r.Speed)
	}
	return nil
}
