package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/eval"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/models"
)

func newBenchLLMCommand(a *app) *cobra.Command {
	var opts benchLLMOptions
	cmd := &cobra.Command{
		Use:   "llm",
		Short: "The built-in runner and Hoard's honesty checks: time to first token, \"not in your vault\" on questions the vault cannot answer, answers to those it can, citations checked, no server left after kill -9",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchLLM(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// benchLLMOptions are hoard bench llm's flags.
type benchLLMOptions struct {
	Dataset, Questions, Shared string
	Model                      string // chat model
	KeepWiki, KeepReal         string // vault folders kept between runs
	Sample, Generated          int
	Tries, Threads             int
	JSON                       bool
}

func (o *benchLLMOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Dataset, "dataset", "../shared/datasets/2wiki-beir", "2Wiki (BEIR, queries with metadata.answer)")
	f.StringVar(&o.Questions, "questions", "backend/eval/testdata/real-questions.json", "the real-documents question set")
	f.StringVar(&o.Shared, "shared", "../shared", "what $SHARED means in the question set's folders")
	f.StringVar(&o.Model, "model", "", "chat model (default: the best installed)")
	f.IntVar(&o.Sample, "sample", 0, "questions of each set on the extractive path (0: all)")
	f.IntVar(&o.Generated, "generated", 20, "questions of each set answered by the model")
	f.IntVar(&o.Tries, "tries", 20, "kill -9 of hoard while its server runs (0: none)")
	f.IntVar(&o.Threads, "threads", 0, "llama-server threads (0: its default)")
	f.StringVar(&o.KeepWiki, "keep-wiki", "", "vault folder for the 2Wiki corpus, kept between runs")
	f.StringVar(&o.KeepReal, "keep-real", "", "vault folder for the real documents, kept between runs")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runBenchLLM(ctx context.Context, opts benchLLMOptions, a *app) error {
	m := a.models()
	var inst models.Installed
	var err error
	if opts.Model == "" {
		var ok bool
		if inst, ok = m.FirstInstalled(models.RoleChat); !ok {
			return fmt.Errorf("no chat model installed (make models installs %s)", "smollm2-135m-instruct")
		}
	} else if inst, err = m.Get(opts.Model); err != nil {
		return err
	}
	server, err := llm.FindServer(m.Dir)
	if err != nil {
		return err
	}
	ds, err := eval.LoadDataset(opts.Dataset, "test")
	if err != nil {
		return err
	}
	defer ds.Close()
	qs, err := eval.LoadQuestions(opts.Questions, opts.Shared)
	if err != nil {
		return err
	}
	hoard, err := os.Executable()
	if err != nil {
		return err
	}
	r, err := eval.LLM(ctx, eval.LLMOptions{Wiki: ds, Questions: qs, Server: server, Threads: opts.Threads,
		Model:  llm.BuiltinModel{Name: inst.Spec.Name, Path: inst.Path("model.gguf"), Context: inst.Spec.Context},
		Sample: opts.Sample, Generated: opts.Generated, Hoard: hoard, Models: m.Dir, Tries: opts.Tries, KeepWiki: opts.KeepWiki, KeepReal: opts.KeepReal})
	if err != nil {
		return err
	}
	if opts.JSON {
		return a.printJSON(r)
	}
	fmt.Fprintf(a.stdout, "built-in runner, %s, %d answers with %.1f passages given on average: time to first token p50 %.0f ms; prompt %.0f tokens at %.0f tokens/s, answer %.0f tokens at %.1f tokens/s\n",
		r.Model, r.Answers, r.Passages, r.TTFTms, r.PromptTokens, r.PromptPerSec, r.AnswerTokens, r.AnswerPerSec)
	for _, s := range r.Sets {
		kind := "unanswerable"
		if s.Answerable {
			kind = "answerable"
		}
		fmt.Fprintf(a.stdout, "%-42s %-12s not in vault: extractive %d/%d, generated %d/%d; markers %d, removed %d, valid after check %d, uncited %d, context cut %d, fell back %d\n",
			s.Name, kind, s.ExtractiveNIV, s.Extractive, s.GeneratedNIV, s.Generated, s.Markers, s.Removed, s.Valid, s.Uncited, s.LeftOut, s.Fallback)
	}
	fmt.Fprintf(a.stdout, "unanswerable: \"not in your vault\" %.3f extractive, %.3f generated\n", r.NotInVaultExt, r.NotInVaultGen)
	fmt.Fprintf(a.stdout, "answerable: not refused %.3f extractive, %.3f generated\n", r.AnsweredExt, r.AnsweredGen)
	fmt.Fprintf(a.stdout, "citations pointing at a passage given, after the check: %.3f\n", r.CitationsValid)
	if r.OrphanTries > 0 {
		fmt.Fprintf(a.stdout, "orphan servers after kill -9 of hoard: %d of %d tries %s\n", r.Orphans, r.OrphanTries, r.OrphanNote)
	}
	return nil
}
