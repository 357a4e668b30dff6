package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// QuestionSet is a hand-written set of questions about real folders, with
// the answers the documents state (backend/eval/testdata/real-questions.json).
type QuestionSet struct {
	About     string     `json:"about"`
	Folders   []string   `json:"folders"` // $SHARED is the shared data folder
	Questions []Question `json:"questions"`
}

// Question is one question; no Answers means the folders cannot answer it.
type Question struct {
	Q       string   `json:"q"`
	Answers []string `json:"answers,omitempty"` // any one, in the answer, counts
	Source  string   `json:"source,omitempty"`  // the end of the path a citation must have
}

// LoadQuestions reads a question set; shared replaces $SHARED in its folders.
func LoadQuestions(path, shared string) (*QuestionSet, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var qs QuestionSet
	if err := json.Unmarshal(raw, &qs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, f := range qs.Folders {
		qs.Folders[i] = os.Expand(f, func(k string) string {
			if k == "SHARED" {
				return shared
			}
			return os.Getenv(k)
		})
	}
	if len(qs.Questions) == 0 || len(qs.Folders) == 0 {
		return nil, fmt.Errorf("%s: no questions or no folders", path)
	}
	return &qs, nil
}

// QuestionResult is how one question was answered.
type QuestionResult struct {
	Q         string `json:"q"`
	Answer    string `json:"answer"`
	Nothing   bool   `json:"nothing_found"`
	Contained bool   `json:"contained"` // a gold answer is in the answer
	Cited     bool   `json:"cited"`     // a citation is the source
	Right     bool   `json:"right"`     // contained and cited, or nothing found for an unanswerable one
}

// QuestionReport is what `hoard bench answers --questions` prints.
type QuestionReport struct {
	Embedder     string           `json:"embedder"`
	Answerable   int              `json:"answerable"`
	Unanswerable int              `json:"unanswerable"`
	Contained    float64          `json:"contained"`     // share of answerable ones with the gold answer in the answer
	Cited        float64          `json:"cited"`         // … citing the source
	Refused      float64          `json:"refused"`       // … wrongly answered with "nothing found"
	NothingRight float64          `json:"nothing_right"` // share of unanswerable ones answered "nothing found"
	P50ms        float64          `json:"p50_ms"`
	Results      []QuestionResult `json:"results"`
}

// AskQuestions indexes the set's folders into a fresh vault (or keep, when
// not "") with the given embedder ("" or "none": lexical only) and asks
// every question through the extractive path, as a user without a language
// model gets it.
func AskQuestions(ctx context.Context, qs *QuestionSet, embedder, keep string) (QuestionReport, error) {
	var r QuestionReport
	for _, f := range qs.Folders {
		if _, err := os.Stat(f); err != nil {
			return r, fmt.Errorf("question set folder: %w", err)
		}
	}
	sopt := search.DefaultOptions()
	benchStages(&sopt)
	neural := vault.NeuralOptions{Embedder: "none", Reranker: "none"}
	if embedder != "" {
		neural.Embedder = embedder
	}
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hoard-questions-*")
		if err != nil {
			return r, err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "vault")
	}
	v, err := vault.Open(ctx, dir, vault.Options{Search: &sopt, Neural: neural})
	if err != nil {
		return r, err
	}
	defer v.Close()
	if _, err := v.Add(ctx, qs.Folders, vault.AddOptions{}); err != nil {
		return r, err
	}
	st, err := v.Status(ctx)
	if err != nil {
		return r, err
	}
	if embedder != "" && embedder != "none" && !st.Neural.HybridActive {
		return r, fmt.Errorf("embedder %s is not in use: %s", embedder, st.Neural.Note)
	}
	r.Embedder = st.Neural.Embedder
	var lat []time.Duration
	var contained, cited, refused, nothingRight int
	for _, q := range qs.Questions {
		t := time.Now()
		a, err := v.Ask(ctx, q.Q, vault.AskOptions{})
		if err != nil {
			return r, fmt.Errorf("%q: %w", q.Q, err)
		}
		lat = append(lat, time.Since(t))
		res := QuestionResult{Q: q.Q, Answer: a.Answer, Nothing: strings.HasPrefix(a.Answer, answer.NothingFound)}
		if len(q.Answers) == 0 {
			r.Unanswerable++
			res.Right = res.Nothing && len(a.Citations) == 0
			if res.Right {
				nothingRight++
			}
			r.Results = append(r.Results, res)
			continue
		}
		r.Answerable++
		low := strings.ToLower(strings.Join(strings.Fields(a.Answer), " "))
		for _, g := range q.Answers {
			res.Contained = res.Contained || strings.Contains(low, strings.ToLower(g))
		}
		for _, c := range a.Citations {
			res.Cited = res.Cited || strings.HasSuffix(c.Path, q.Source)
		}
		res.Right = res.Contained && res.Cited
		if res.Contained {
			contained++
		}
		if res.Cited {
			cited++
		}
		if res.Nothing {
			refused++
		}
		r.Results = append(r.Results, res)
	}
	if r.Answerable > 0 {
		n := float64(r.Answerable)
		r.Contained, r.Cited, r.Refused = float64(contained)/n, float64(cited)/n, float64(refused)/n
	}
	if r.Unanswerable > 0 {
		r.NothingRight = float64(nothingRight) / float64(r.Unanswerable)
	}
	r.P50ms = Percentile(lat, 50)
	return r, nil
}
