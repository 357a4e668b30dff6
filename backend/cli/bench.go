package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/eval"
	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/memory"
)

func (a *app) benchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure Hoard on benchmark datasets"}
	var corpus, queries, qrels, engine string
	var asJSON bool
	ingest := &cobra.Command{
		Use:   "ingest --corpus corpus.jsonl [--queries queries.jsonl [--qrels qrels.tsv]] [--engine naive-fts5]",
		Short: "Ingest a BEIR corpus into a temporary vault (or a naive FTS5 table) and time searches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var qs []eval.Query
			if queries != "" {
				var err error
				if qs, err = eval.LoadQueries(queries, qrels); err != nil {
					return err
				}
			}
			var r eval.IngestReport
			var err error
			switch engine {
			case "hoard":
				r, err = eval.Ingest(cmd.Context(), corpus, qs, a.neural())
			case "naive-fts5":
				r, err = eval.NaiveFTS5Ingest(cmd.Context(), corpus, qs)
			default:
				err = fmt.Errorf("--engine %q: hoard or naive-fts5", engine)
			}
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
	ingest.Flags().StringVar(&engine, "engine", "hoard", "hoard, or naive-fts5: the corpus in one plain FTS5 table (the floor Hoard is measured against)")
	ingest.MarkFlagRequired("corpus")
	cmd.AddCommand(ingest, a.benchRetrievalCmd(), a.benchVectorsCmd(), a.benchEmbedCmd(), a.benchParityCmd(), a.benchTranscribeCmd(), a.benchAnswersCmd(), a.benchWatchCmd(), a.benchFuseCmd(), a.benchEventsCmd(), a.benchCrashCmd(), a.benchLLMCmd())
	return cmd
}

func (a *app) benchRetrievalCmd() *cobra.Command {
	var dataset, split, stages, model, reranker, keep, perQuery string
	var forms []string
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
			configs := strings.Split(stages, ";")
			ropt := eval.RetrievalOptions{Embedder: model, Reranker: reranker, Models: a.models(), Keep: keep, Forms: forms}
			if perQuery != "" {
				f, err := os.Create(perQuery)
				if err != nil {
					return err
				}
				defer f.Close()
				ropt.PerQuery = f
			}
			reps, err := eval.RetrievalConfigs(cmd.Context(), ds, ropt, configs)
			if err != nil {
				return err
			}
			if asJSON {
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
				fmt.Fprintf(a.stdout, "%s (%s): %d queries, %d docs, ingested in %.1f s; stages: %s\n", r.Dataset, split, r.Queries, r.Docs, r.IngestSeconds, strings.Join(r.Stages, ","))
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
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "", "dataset folder")
	cmd.Flags().StringVar(&split, "split", "test", "qrels split")
	cmd.Flags().StringVar(&stages, "stages", "", "stage switches: \"-prf,+mmr\" relative to the defaults, or a list such as \"prf,multihop\" (\"none\": BM25 alone; \"-keyword\": vectors alone); several configurations separated by \";\" are scored on one ingest")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&model, "model", "", "installed embedder for hybrid search (default: lexical only)")
	cmd.Flags().StringVar(&reranker, "rerank-model", "", "installed reranker (default: none)")
	cmd.Flags().StringSliceVar(&forms, "forms", nil, "vector forms kept (default int8,bit); with float, the vector index's recall against exact search is reported")
	cmd.Flags().StringVar(&keep, "keep", "", "vault folder kept after the run; a later run on the same corpus and model reuses it")
	cmd.Flags().StringVar(&perQuery, "per-query", "", "write each query's NDCG@10 and top ten documents per configuration to this TSV file")
	cmd.MarkFlagRequired("dataset")
	return cmd
}

func (a *app) benchVectorsCmd() *cobra.Command {
	var opt eval.VectorOptions
	var asJSON bool
	var sizes []int
	cmd := &cobra.Command{
		Use:   "vectors",
		Short: "Time vector search (float, int8, binary+rescore) and the hybrid query at several vault sizes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !asJSON {
				opt.Log = a.logf
			}
			var reps []eval.VectorReport
			for _, n := range sizes {
				o := opt
				o.N = n
				rep, err := eval.Vectors(cmd.Context(), o)
				if err != nil {
					return err
				}
				reps = append(reps, rep)
				if !asJSON {
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
			if asJSON {
				return a.printJSON(reps)
			}
			return nil
		},
	}
	cmd.Flags().IntSliceVar(&sizes, "n", []int{100000}, "stored chunks (several: --n 100000,1000000)")
	cmd.Flags().IntVar(&opt.Dims, "dims", 384, "vector width")
	cmd.Flags().BoolVar(&opt.Clustered, "clustered", false, "vectors around topic centres and queries near stored ones (like real embeddings); default uniform random")
	cmd.Flags().IntVar(&opt.Queries, "queries", 50, "queries per size")
	cmd.Flags().StringVar(&opt.Dir, "dir", "", "keep the database in this folder and reuse it (one size per folder)")
	cmd.Flags().StringVar(&opt.Export, "export", "", "write the vectors, queries and exact top 10s to this folder for a peer engine (bench/lancedb; one size)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) benchEmbedCmd() *cobra.Command {
	var opt eval.EmbedOptions
	var corpus, textsOut string
	var n int
	var asJSON, mixed bool
	cmd := &cobra.Command{
		Use:   "embed",
		Short: "Embedding throughput (chunks/s at several batch sizes) and single-query latency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := infer.LoadTokenizer(opt.Tokenizer)
			if err != nil {
				return err
			}
			var texts []string
			err = eval.EachCorpusText(corpus, func(t string) bool {
				texts = append(texts, t)
				return len(texts) < n
			})
			if err != nil {
				return err
			}
			opt.Texts = eval.CutToTokens(tok, texts, opt.Tokens, mixed)
			if textsOut != "" {
				raw, _ := json.Marshal(opt.Texts)
				if err := os.WriteFile(textsOut, raw, 0o644); err != nil {
					return err
				}
			}
			rep, err := eval.Embed(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "ONNX Runtime %s on %s; single query p50 %.1f ms\n", rep.Runtime, rep.Device, rep.QueryP50ms)
			for _, r := range rep.Runs {
				fmt.Fprintf(a.stdout, "  batch %3d: %6.1f chunks/s (%d chunks of %.0f tokens in %.1f s)\n", r.Batch, r.ChunksPerSec, r.Texts, r.AvgTokens, r.Seconds)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.Model, "model", "", "model.onnx")
	cmd.Flags().StringVar(&opt.Tokenizer, "tokenizer", "", "tokenizer.json")
	cmd.Flags().StringVar(&corpus, "corpus", "", "BEIR corpus.jsonl to take passages from")
	cmd.Flags().IntVar(&n, "n", 256, "passages")
	cmd.Flags().IntVar(&opt.Tokens, "tokens", 256, "tokens per passage")
	cmd.Flags().BoolVar(&mixed, "mixed", false, "passages of mixed lengths, 32 to --tokens tokens (as real chunks)")
	cmd.Flags().IntSliceVar(&opt.Batches, "batch", []int{1, 8, 32}, "batch sizes")
	cmd.Flags().IntVar(&opt.Threads, "threads", 0, "ONNX Runtime threads (0: one per CPU)")
	cmd.Flags().StringVar(&textsOut, "texts-out", "", "write the passages used as a JSON array (for comparing other systems)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("tokenizer")
	cmd.MarkFlagRequired("corpus")
	return cmd
}

func (a *app) benchParityCmd() *cobra.Command {
	var dataset, split, model string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "parity --dataset DIR --model NAME",
		Short: "Dense-only NDCG@10 as reference figures are made (one vector per document, exact search), to compare with the model's published or Python figure",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ds, err := eval.LoadDataset(dataset, split)
			if err != nil {
				return err
			}
			defer ds.Close()
			r, err := eval.DenseParity(cmd.Context(), ds, eval.ParityOptions{Models: a.models().Dir, Name: model, ORTLib: a.ortLib, Device: a.device})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(r)
			}
			fmt.Fprintf(a.stdout, "%s, %s, %s: NDCG@10 %.4f, recall@100 %.4f over %d queries; %d documents embedded in %.0f s; query p50 %.1f ms\n",
				r.Dataset, r.Embedder, r.Config, r.NDCG10, r.Recall100, r.Queries, r.Docs, r.IngestSeconds, r.P50ms)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "", "BEIR dataset folder")
	cmd.Flags().StringVar(&split, "split", "test", "qrels split")
	cmd.Flags().StringVar(&model, "model", "", "installed embedder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("model")
	return cmd
}

func (a *app) benchTranscribeCmd() *cobra.Command {
	var model string
	var threads int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "transcribe --model NAME FILE...",
		Short: "Transcription speed (audio seconds per wall second) of the whole voice-note path with an installed whisper model",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, err := eval.Transcribe(cmd.Context(), eval.TranscribeOptions{Models: a.models(), Model: model, Files: args, Threads: threads})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(runs)
			}
			for _, r := range runs {
				fmt.Fprintf(a.stdout, "%s, %s: %.1f s of audio in %.2f s: %.1fx real time\n", model, filepath.Base(r.File), r.AudioSeconds, r.WallSeconds, r.Speed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "whisper-base", "installed whisper model")
	cmd.Flags().IntVar(&threads, "threads", 0, "whisper.cpp threads (0: one per CPU)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) benchAnswersCmd() *cobra.Command {
	var dataset, split, questions, shared, model, keep string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "answers --dataset DIR | --questions FILE",
		Short: "Extractive answers on questions with known answers (a dataset's metadata.answer, or a hand-written question set about real folders)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if questions != "" {
				return a.benchQuestions(cmd.Context(), questions, shared, model, keep, asJSON)
			}
			if dataset == "" {
				return fmt.Errorf("give --dataset DIR or --questions FILE")
			}
			ds, err := eval.LoadDataset(dataset, split)
			if err != nil {
				return err
			}
			defer ds.Close()
			r, err := eval.Answers(cmd.Context(), ds)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(r)
			}
			fmt.Fprintf(a.stdout, "%s: %d questions: gold answer in the answer %.3f, in the cited passages %.3f, nothing found %.3f; p50 %.1f ms, p95 %.1f ms\n",
				r.Dataset, r.Questions, r.InAnswer, r.InCitations, r.Nothing, r.P50ms, r.P95ms)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "", "BEIR dataset folder whose queries carry metadata.answer")
	cmd.Flags().StringVar(&split, "split", "test", "qrels split")
	cmd.Flags().StringVar(&questions, "questions", "", "question set (JSON: folders, questions with answers and sources; backend/eval/testdata/real-questions.json)")
	cmd.Flags().StringVar(&shared, "shared", "../shared", "what $SHARED means in the question set's folders")
	cmd.Flags().StringVar(&model, "model", "none", "embedder for the question set's vault (none: lexical only)")
	cmd.Flags().StringVar(&keep, "keep", "", "vault folder to keep between runs (the folders are indexed and embedded once)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) benchQuestions(ctx context.Context, path, shared, model, keep string, asJSON bool) error {
	qs, err := eval.LoadQuestions(path, shared)
	if err != nil {
		return err
	}
	r, err := eval.AskQuestions(ctx, qs, model, keep)
	if err != nil {
		return err
	}
	if asJSON {
		return a.printJSON(r)
	}
	for _, res := range r.Results {
		mark := "ok  "
		if !res.Right {
			mark = "MISS"
		}
		fmt.Fprintf(a.stdout, "%s %s\n     %s\n", mark, res.Q, memory.Clip(res.Answer, 160))
	}
	fmt.Fprintf(a.stdout, "embedder %s: %d answerable: gold answer in the answer %.3f, source cited %.3f, wrongly \"nothing\" %.3f; %d unanswerable: \"nothing\" %.3f; p50 %.1f ms\n",
		r.Embedder, r.Answerable, r.Contained, r.Cited, r.Refused, r.Unanswerable, r.NothingRight, r.P50ms)
	return nil
}

func (a *app) benchWatchCmd() *cobra.Command {
	var opt eval.WatchOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Time a watched folder: saved note to searchable (p50/p95), and indexing throughput and peak memory by folder size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !asJSON {
				opt.Log = a.logf
			}
			rep, err := eval.Watch(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if asJSON {
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
		},
	}
	cmd.Flags().IntVar(&opt.Samples, "samples", 30, "saved notes to time")
	cmd.Flags().IntSliceVar(&opt.Sizes, "files", []int{1000, 10000, 30000}, "folder sizes (files) for throughput and memory")
	cmd.Flags().DurationVar(&opt.Settle, "settle", 0, "how long a file must be quiet before it is indexed (default 300ms)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) benchFuseCmd() *cobra.Command {
	var dataset, split string
	var opt eval.FuseOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fuse --dataset DIR --model A --second B",
		Short: "Study: does a second embedder's ranking, fused by reciprocal rank, lift the first one's hybrid ranking?",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ds, err := eval.LoadDataset(dataset, split)
			if err != nil {
				return err
			}
			defer ds.Close()
			opt.Models = a.models()
			rows, err := eval.Fuse(cmd.Context(), ds, opt)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rows)
			}
			fmt.Fprintf(a.stdout, "%s (%s):\n", ds.Name, split)
			for _, r := range rows {
				fmt.Fprintf(a.stdout, "  %-60s NDCG@10 %.4f  R@5 %.4f  R@100 %.4f\n", r.Config, r.NDCG10, r.R5, r.R100)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "", "BEIR dataset folder, or a documentation folder with a book index")
	cmd.Flags().StringVar(&split, "split", "test", "qrels split")
	cmd.Flags().StringVar(&opt.First, "model", "bge-small-en-v1.5", "the first embedder (its hybrid ranking is the baseline)")
	cmd.Flags().StringVar(&opt.Second, "second", "e5-small-v2", "the second embedder")
	cmd.Flags().StringVar(&opt.KeepFirst, "keep", "", "kept vault folder for the first embedder")
	cmd.Flags().StringVar(&opt.KeepSec, "keep-second", "", "kept vault folder for the second embedder")
	cmd.Flags().Float64SliceVar(&opt.SecondWeights, "weights", []float64{0.5, 1}, "weights of the second list in the fusion")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("dataset")
	return cmd
}

func (a *app) benchEventsCmd() *cobra.Command {
	var opt eval.EventsOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "events --dir DIR [--bin PATH]",
		Short: "What open /api/events streams cost a hoard serve process: its idle CPU and search throughput with 0, 20, 100 streams",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := orSelf(&opt.Bin); err != nil {
				return err
			}
			if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
				return err
			}
			if !asJSON {
				opt.Log = a.logf
			}
			rows, err := eval.EventsCost(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rows)
			}
			fmt.Fprintf(a.stdout, "%s, %d documents:\n", opt.Bin, opt.Docs)
			for _, r := range rows {
				fmt.Fprintf(a.stdout, "  %4d open streams: idle %.3f cores, search %.0f requests/s\n", r.Streams, r.IdleCores, r.SearchQPS)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.Bin, "bin", "", "hoard binary to measure (default: this one)")
	cmd.Flags().StringVar(&opt.Dir, "dir", "", "work folder: the corpus and the vault stay there for the next run")
	cmd.Flags().IntVar(&opt.Docs, "docs", 20000, "documents in the vault")
	cmd.Flags().IntSliceVar(&opt.Streams, "streams", []int{0, 20, 100}, "open event streams to measure with (hoard serve takes 128 connections)")
	cmd.Flags().Float64Var(&opt.Seconds, "seconds", 5, "seconds of each measurement")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("dir")
	return cmd
}

func (a *app) benchCrashCmd() *cobra.Command {
	var opt eval.CrashOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "crash --dir DIR",
		Short: "Audit: kill -9 hoard add, watch and serve at random moments of real work; count notes lost, torn or stored twice, and vaults failing their integrity check",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := orSelf(&opt.Bin); err != nil {
				return err
			}
			if !asJSON {
				opt.Log = a.logf
			}
			rows, err := eval.CrashAudit(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rows)
			}
			for _, r := range rows {
				fmt.Fprintf(a.stdout, "%-5s %d trials (%d killed mid-work): %d notes stored, %d lost, %d torn, %d twice, %d integrity failures\n",
					r.Mode, r.Trials, r.Killed, r.Stored, r.Lost, r.Torn, r.Twice, r.Integrity)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opt.Bin, "bin", "", "hoard binary to kill (default: this one)")
	cmd.Flags().StringVar(&opt.Dir, "dir", "", "work folder")
	cmd.Flags().StringSliceVar(&opt.Modes, "modes", []string{"add", "watch", "serve"}, "what to kill")
	cmd.Flags().IntVar(&opt.Trials, "trials", 20, "kills per mode")
	cmd.Flags().IntVar(&opt.Notes, "notes", 300, "notes a trial adds, writes or uploads")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("dir")
	return cmd
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
