package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/eval"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/models"
)

func (a *app) benchLLMCmd() *cobra.Command {
	var dataset, questions, shared, model, keepWiki, keepReal string
	var sample, generated, tries, threads int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "llm",
		Short: "The built-in runner and Hoard's honesty checks: time to first token, \"not in your vault\" on questions the vault cannot answer, answers to those it can, citations checked, no server left after kill -9",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m := a.models()
			var inst models.Installed
			var err error
			if model == "" {
				var ok bool
				if inst, ok = m.FirstInstalled(models.RoleChat); !ok {
					return fmt.Errorf("no chat model installed (make models installs %s)", "smollm2-135m-instruct")
				}
			} else if inst, err = m.Get(model); err != nil {
				return err
			}
			server, err := llm.FindServer(m.Dir)
			if err != nil {
				return err
			}
			ds, err := eval.LoadDataset(dataset, "test")
			if err != nil {
				return err
			}
			defer ds.Close()
			qs, err := eval.LoadQuestions(questions, shared)
			if err != nil {
				return err
			}
			hoard, err := os.Executable()
			if err != nil {
				return err
			}
			r, err := eval.LLM(ctx, eval.LLMOptions{Wiki: ds, Questions: qs, Server: server, Threads: threads,
				Model:  llm.BuiltinModel{Name: inst.Spec.Name, Path: inst.Path("model.gguf"), Context: inst.Spec.Context},
				Sample: sample, Generated: generated, Hoard: hoard, Models: m.Dir, Tries: tries, KeepWiki: keepWiki, KeepReal: keepReal})
			if err != nil {
				return err
			}
			if asJSON {
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
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "../shared/datasets/2wiki-beir", "2Wiki (BEIR, queries with metadata.answer)")
	cmd.Flags().StringVar(&questions, "questions", "backend/eval/testdata/real-questions.json", "the real-documents question set")
	cmd.Flags().StringVar(&shared, "shared", "../shared", "what $SHARED means in the question set's folders")
	cmd.Flags().StringVar(&model, "model", "", "chat model (default: the best installed)")
	cmd.Flags().IntVar(&sample, "sample", 0, "questions of each set on the extractive path (0: all)")
	cmd.Flags().IntVar(&generated, "generated", 20, "questions of each set answered by the model")
	cmd.Flags().IntVar(&tries, "tries", 20, "kill -9 of hoard while its server runs (0: none)")
	cmd.Flags().IntVar(&threads, "threads", 0, "llama-server threads (0: its default)")
	cmd.Flags().StringVar(&keepWiki, "keep-wiki", "", "vault folder for the 2Wiki corpus, kept between runs")
	cmd.Flags().StringVar(&keepReal, "keep-real", "", "vault folder for the real documents, kept between runs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
