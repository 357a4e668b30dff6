package eval

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/text"
	"github.com/hoardvault/hoard/backend/vault"
)

// AnswerReport is what `hoard bench answers` prints.
type AnswerReport struct {
	Dataset     string  `json:"dataset"`
	Questions   int     `json:"questions"`
	InAnswer    float64 `json:"answer_em"`    // gold answer found in the answer (normalized)
	InCitations float64 `json:"citations_em"` // … in the cited passages
	Nothing     float64 `json:"nothing_found"`
	P50ms       float64 `json:"p50_ms"`
	P95ms       float64 `json:"p95_ms"`
}

// normAnswer lower-cases, drops punctuation and articles, as SQuAD-style
// exact match does.
func normAnswer(s string) string {
	var out []string
	for _, w := range text.Words(s) {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return " " + strings.Join(out, " ") + " "
}

// Answers runs every question with a known answer through the extractive
// path on a fresh vault of the dataset's corpus.
func Answers(ctx context.Context, ds *Dataset) (AnswerReport, error) {
	r := AnswerReport{Dataset: ds.Name}
	sopt := search.DefaultOptions()
	benchStages(&sopt)
	v, done, err := freshVault(ctx, ds, vault.Options{Search: &sopt, Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		return r, err
	}
	defer done()
	var lat []time.Duration
	var inAns, inCit, nothing int
	for _, q := range ds.Queries {
		if q.Answer == "" {
			continue
		}
		gold := normAnswer(q.Answer)
		if strings.TrimSpace(gold) == "" {
			continue
		}
		start := time.Now()
		a, err := v.Ask(ctx, q.Text, vault.AskOptions{})
		if err != nil {
			return r, fmt.Errorf("question %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(start))
		r.Questions++
		if len(a.Citations) == 0 {
			nothing++
		}
		if strings.Contains(normAnswer(a.Answer), gold) {
			inAns++
		}
		for _, c := range a.Citations {
			if strings.Contains(normAnswer(c.Text), gold) {
				inCit++
				break
			}
		}
	}
	if r.Questions == 0 {
		return r, fmt.Errorf("%s: no question has metadata.answer", ds.Name)
	}
	n := float64(r.Questions)
	r.InAnswer, r.InCitations, r.Nothing = float64(inAns)/n, float64(inCit)/n, float64(nothing)/n
	r.P50ms, r.P95ms = Percentile(lat, 50), Percentile(lat, 95)
	return r, nil
}
