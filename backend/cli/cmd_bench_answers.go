package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/eval"
	"github.com/hoardvault/hoard/backend/text"
)

func newBenchAnswersCommand(a *app) *cobra.Command {
	var opts benchAnswersOptions
	cmd := &cobra.Command{
		Use:   "answers --dataset DIR | --questions FILE",
		Short: "Extractive answers on questions with known answers (a dataset's metadata.answer, or a hand-written question set about real folders)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchAnswers(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchAnswersOptions are hoard bench answers's flags.
type benchAnswersOptions struct {
	Dataset, Split string
	// Questions is a question set about real folders, Shared what
	// $SHARED means in it; Model embeds its vault, kept in Keep.
	Questions, Shared, Model, Keep string
	JSON                           bool
}

func (o *benchAnswersOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Dataset, "dataset", "", "BEIR dataset folder whose queries carry metadata.answer")
	f.StringVar(&o.Split, "split", "test", "qrels split")
	f.StringVar(&o.Questions, "questions", "", "question set (JSON: folders, questions with answers and sources; backend/eval/testdata/real-questions.json)")
	f.StringVar(&o.Shared, "shared", "../shared", "what $SHARED means in the question set's folders")
	f.StringVar(&o.Model, "model", "none", "embedder for the question set's vault (none: lexical only)")
	f.StringVar(&o.Keep, "keep", "", "vault folder to keep between runs (the folders are indexed and embedded once)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runBenchAnswers(ctx context.Context, opts benchAnswersOptions, a *app) error {
	if opts.Questions != "" {
		return a.benchQuestions(ctx, opts.Questions, opts.Shared, opts.Model, opts.Keep, opts.JSON)
	}
	if opts.Dataset == "" {
		return fmt.Errorf("give --dataset DIR or --questions FILE")
	}
	ds, err := eval.LoadDataset(opts.Dataset, opts.Split)
	if err != nil {
		return err
	}
	defer ds.Close()
	r, err := eval.Answers(ctx, ds)
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(r)
	}
	fmt.Fprintf(a.stdout, "%s: %d questions: gold answer in the answer %.3f, in the cited passages %.3f, nothing found %.3f; p50 %.1f ms, p95 %.1f ms\n",
		r.Dataset, r.Questions, r.InAnswer, r.InCitations, r.Nothing, r.P50ms, r.P95ms)
	return nil
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
		fmt.Fprintf(a.stdout, "%s %s\n     %s\n", mark, res.Q, text.Clip(res.Answer, 160))
	}
	fmt.Fprintf(a.stdout, "embedder %s: %d answerable: gold answer in the answer %.3f, source cited %.3f, wrongly \"nothing\" %.3f; %d unanswerable: \"nothing\" %.3f; p50 %.1f ms\n",
		r.Embedder, r.Answerable, r.Contained, r.Cited, r.Refused, r.Unanswerable, r.NothingRight, r.P50ms)
	return nil
}
