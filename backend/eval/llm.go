package eval

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hoardvault/hoard/backend/answer"
	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// LLMOptions configure `hoard bench llm`.
type LLMOptions struct {
	Wiki      *Dataset     // 2Wiki: questions carrying metadata.answer
	Questions *QuestionSet // the hand-written real-documents set
	Server    string       // llama-server
	Model     llm.BuiltinModel
	Threads   int
	// Sample caps the questions of each set on the extractive path (0:
	// all); Generated is how many of each set the model answers.
	Sample, Generated int
	// Hoard is the hoard binary killed in the orphan test, Models its
	// models folder; Tries how often (0: no orphan test).
	Hoard, Models string
	Tries         int
	// KeepWiki and KeepReal are vault folders kept between runs.
	KeepWiki, KeepReal string
}

// LLMSet is how one set of questions was answered.
type LLMSet struct {
	Name       string `json:"name"`
	Answerable bool   `json:"answerable"`
	// NotInVault counts "not in your vault" replies on each path.
	Extractive    int `json:"extractive"`
	ExtractiveNIV int `json:"extractive_not_in_vault"`
	Generated     int `json:"generated"`
	GeneratedNIV  int `json:"generated_not_in_vault"`
	// The generated answers' [n] markers: written by the model, taken out
	// by Hoard's check (a passage not given), and what is left pointing at
	// a passage given; answers citing nothing.
	Markers  int `json:"markers"`
	Removed  int `json:"removed"`
	Valid    int `json:"valid_after_check"`
	Uncited  int `json:"uncited"`
	LeftOut  int `json:"answers_with_passages_left_out"`
	Fallback int `json:"fell_back_to_extractive"`
}

// LLMReport is what `hoard bench llm` prints.
type LLMReport struct {
	Model string   `json:"model"`
	Sets  []LLMSet `json:"sets"`
	// Speed of the built-in runner on the generated answers (5 passages
	// asked for): medians.
	Answers        int     `json:"answers"`
	Passages       float64 `json:"passages_given_mean"`
	TTFTms         float64 `json:"ttft_p50_ms"`
	PromptTokens   float64 `json:"prompt_tokens_p50"`
	PromptPerSec   float64 `json:"prompt_tokens_per_s_p50"`
	AnswerTokens   float64 `json:"answer_tokens_p50"`
	AnswerPerSec   float64 `json:"answer_tokens_per_s_p50"`
	OrphanTries    int     `json:"orphan_tries"`
	Orphans        int     `json:"orphans"`
	OrphanNote     string  `json:"orphan_note,omitempty"`
	NotInVaultExt  float64 `json:"unanswerable_not_in_vault_extractive"`
	NotInVaultGen  float64 `json:"unanswerable_not_in_vault_generated"`
	AnsweredExt    float64 `json:"answerable_not_refused_extractive"`
	AnsweredGen    float64 `json:"answerable_not_refused_generated"`
	CitationsValid float64 `json:"citations_valid_after_check"`
}

// benchQuestion is a question of one set.
type benchQuestion struct{ q string }

// LLM measures the built-in runner and Hoard's honesty checks: questions
// the vault can answer (2Wiki's on a 2Wiki vault, the real-documents set's
// on its folders) and questions it cannot (the real set's unanswerable
// ones, the real set's answerable ones asked of the 2Wiki vault, 2Wiki's
// asked of the real documents), each on the extractive path and, for a
// sample, through the model; then kill -9 of a hoard that runs the server.
func LLM(ctx context.Context, o LLMOptions) (LLMReport, error) {
	r := LLMReport{Model: o.Model.Name}
	sopt := search.DefaultOptions()
	benchStages(&sopt)
	vopt := vault.Options{Search: &sopt, Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}}
	wiki, doneWiki, err := keptVault(ctx, o.Wiki, vopt, o.KeepWiki)
	if err != nil {
		return r, err
	}
	defer doneWiki()
	real, doneReal, err := foldersVault(ctx, o.Questions.Folders, vopt, o.KeepReal)
	if err != nil {
		return r, err
	}
	defer doneReal()

	var wikiQs, realAns, realUnans []benchQuestion
	for _, q := range o.Wiki.Queries {
		if strings.TrimSpace(q.Answer) != "" {
			wikiQs = append(wikiQs, benchQuestion{q.Text})
		}
	}
	for _, q := range o.Questions.Questions {
		if len(q.Answers) > 0 {
			realAns = append(realAns, benchQuestion{q.Q})
		} else {
			realUnans = append(realUnans, benchQuestion{q.Q})
		}
	}
	type set struct {
		name       string
		answerable bool
		v          *vault.Vault
		qs         []benchQuestion
	}
	sets := []set{
		{"2wiki on its corpus", true, wiki, wikiQs},
		{"real questions on their documents", true, real, realAns},
		{"real unanswerable on the real documents", false, real, realUnans},
		{"real questions on the 2wiki corpus", false, wiki, realAns},
		{"2wiki questions on the real documents", false, real, wikiQs},
	}
	runner := llm.NewBuiltin(llm.BuiltinOptions{Server: o.Server, Threads: o.Threads}, o.Model)
	defer runner.Close()
	tc := &timedClient{Builtin: runner}
	for _, s := range sets {
		res := LLMSet{Name: s.name, Answerable: s.answerable}
		ext := spread(s.qs, o.Sample)
		var gen []benchQuestion
		if o.Generated > 0 {
			gen = spread(s.qs, o.Generated)
		}
		for _, q := range ext {
			a, err := answer.Ask(ctx, s.v, q.q, answer.Options{Sources: 5})
			if err != nil {
				return r, fmt.Errorf("%q: %w", q.q, err)
			}
			res.Extractive++
			if a.NotInVault {
				res.ExtractiveNIV++
			}
		}
		for _, q := range gen {
			a, err := answer.Ask(ctx, s.v, q.q, answer.Options{LLM: tc, Sources: 5})
			if err != nil {
				return r, fmt.Errorf("%q (generated): %w", q.q, err)
			}
			res.Generated++
			switch {
			case a.NotInVault:
				res.GeneratedNIV++
			case a.Extractive:
				res.Fallback++
			default:
				valid := len(marks.FindAllString(a.Answer, -1))
				res.Markers += valid + len(a.Removed)
				res.Removed += len(a.Removed)
				res.Valid += validMarks(a)
				if a.Uncited {
					res.Uncited++
				}
				if len(a.LeftOut) > 0 {
					res.LeftOut++
				}
			}
		}
		r.Sets = append(r.Sets, res)
	}
	r.summarize(tc.runs)
	if o.Tries > 0 {
		q := "How many bottles of water were delivered?"
		r.OrphanTries = o.Tries
		r.Orphans, err = orphans(ctx, o, real.Dir(), q)
		if err != nil {
			r.OrphanNote = err.Error()
		}
	}
	return r, nil
}

var marks = regexp.MustCompile(`\[(\d+)\]`)

// validMarks counts the answer's [n] markers that point at a cited passage
// (one of those given: Hoard makes citations only of those).
func validMarks(a answer.Answer) int {
	n := 0
	for _, m := range marks.FindAllStringSubmatch(a.Answer, -1) {
		k, _ := strconv.Atoi(m[1])
		for _, c := range a.Citations {
			if c.N == k {
				n++
				break
			}
		}
	}
	return n
}

func (r *LLMReport) summarize(runs []run) {
	var ttft, ptok, pps, atok, aps []float64
	passages := 0
	for _, x := range runs {
		if x.first <= 0 {
			continue
		}
		r.Answers++
		passages += x.passages
		ttft = append(ttft, float64(x.first.Milliseconds()))
		ptok = append(ptok, float64(x.resp.PromptTokens))
		atok = append(atok, float64(x.resp.CompletionTokens))
		pps = append(pps, float64(x.resp.PromptTokens)/x.first.Seconds())
		if gen := x.total - x.first; gen > 0 && x.resp.CompletionTokens > 1 {
			aps = append(aps, float64(x.resp.CompletionTokens-1)/gen.Seconds())
		}
	}
	if r.Answers > 0 {
		r.Passages = float64(passages) / float64(r.Answers)
	}
	r.TTFTms, r.PromptTokens, r.PromptPerSec, r.AnswerTokens, r.AnswerPerSec = median(ttft), median(ptok), median(pps), median(atok), median(aps)
	var unExt, unExtN, unGen, unGenN, anExt, anExtN, anGen, anGenN, valid, left int
	for _, s := range r.Sets {
		if s.Answerable {
			anExt += s.Extractive - s.ExtractiveNIV
			anExtN += s.Extractive
			anGen += s.Generated - s.GeneratedNIV
			anGenN += s.Generated
		} else {
			unExt += s.ExtractiveNIV
			unExtN += s.Extractive
			unGen += s.GeneratedNIV
			unGenN += s.Generated
		}
		valid += s.Valid
		left += s.Markers - s.Removed
	}
	share := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	r.NotInVaultExt, r.NotInVaultGen = share(unExt, unExtN), share(unGen, unGenN)
	r.AnsweredExt, r.AnsweredGen = share(anExt, anExtN), share(anGen, anGenN)
	// The share of the markers left after the check that point at a
	// passage given.
	r.CitationsValid = share(valid, left)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// spread takes n questions spread evenly over qs (n <= 0 or >= len: all).
func spread(qs []benchQuestion, n int) []benchQuestion {
	if n <= 0 || n >= len(qs) {
		return qs
	}
	out := make([]benchQuestion, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, qs[i*len(qs)/n])
	}
	return out
}

// foldersVault indexes folders into a vault (kept in keep when not "").
func foldersVault(ctx context.Context, folders []string, opt vault.Options, keep string) (*vault.Vault, func(), error) {
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hoard-llm-*")
		if err != nil {
			return nil, nil, err
		}
		dir = filepath.Join(tmp, "vault")
		v, done, err := openAdd(ctx, dir, folders, opt)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, nil, err
		}
		return v, func() { done(); os.RemoveAll(tmp) }, nil
	}
	return openAdd(ctx, dir, folders, opt)
}

func openAdd(ctx context.Context, dir string, folders []string, opt vault.Options) (*vault.Vault, func(), error) {
	v, err := vault.Open(ctx, dir, opt)
	if err != nil {
		return nil, nil, err
	}
	if _, err := v.Add(ctx, folders, vault.AddOptions{}); err != nil {
		v.Close()
		return nil, nil, err
	}
	return v, func() { v.Close() }, nil
}

// run is one timed chat.
type run struct {
	first, total time.Duration
	passages     int
	resp         llm.Response
}

// timedClient times the runner's answers; embedding the runner keeps its
// context size and token counts, so prompts are fitted as for a user.
type timedClient struct {
	*llm.Builtin
	mu   sync.Mutex
	runs []run
}

var numbered = regexp.MustCompile(`(?m)^\[\d+\] `)

func (t *timedClient) Chat(ctx context.Context, req llm.Request, onDelta func(string) error) (llm.Response, error) {
	x := run{}
	if n := len(req.Messages); n > 0 {
		x.passages = len(numbered.FindAllString(req.Messages[n-1].Content, -1))
	}
	start := time.Now()
	resp, err := t.Builtin.Chat(ctx, req, func(s string) error {
		if x.first == 0 {
			x.first = time.Since(start)
		}
		if onDelta != nil {
			return onDelta(s)
		}
		return nil
	})
	x.total, x.resp = time.Since(start), resp
	if err == nil {
		t.mu.Lock()
		t.runs = append(t.runs, x)
		t.mu.Unlock()
	}
	return resp, err
}

// orphans runs `hoard ask --llm builtin` Tries times, kills it with
// SIGKILL once its llama-server runs, and counts the servers still running
// 5 seconds later (each is then killed).
func orphans(ctx context.Context, o LLMOptions, vaultDir, question string) (int, error) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		return 0, fmt.Errorf("the orphan test reads /proc (Linux)")
	}
	left := 0
	for try := 0; try < o.Tries; try++ {
		args := []string{"--vault", vaultDir, "--embedder", "none", "--reranker", "none"}
		if o.Models != "" {
			args = append(args, "--models", o.Models)
		}
		args = append(args, "ask", "--llm", "builtin", "--llm-model", o.Model.Name, question)
		cmd := exec.CommandContext(ctx, o.Hoard, args...)
		cmd.Env = append(os.Environ(), "HOARD_LLAMA_SERVER="+o.Server)
		if err := cmd.Start(); err != nil {
			return left, err
		}
		server := 0
		for deadline := time.Now().Add(60 * time.Second); server == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			server = childNamed(cmd.Process.Pid, llm.ServerBinary)
		}
		// Kill at a moment that varies: at once, while it loads, or while
		// it answers.
		time.Sleep(time.Duration(try%5) * 150 * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if server == 0 {
			return left, fmt.Errorf("try %d: hoard started no %s", try, llm.ServerBinary)
		}
		deadline := time.Now().Add(5 * time.Second)
		for llm.ProcessRuns(server) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if llm.ProcessRuns(server) {
			left++
			if p, err := os.FindProcess(server); err == nil {
				p.Kill()
			}
		}
	}
	return left, nil
}

// childNamed is the pid of a child of pid whose command is name, or 0.
func childNamed(pid int, name string) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		raw, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(raw)) {
			c, _ := strconv.Atoi(f)
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
			if strings.TrimSpace(string(comm)) == name {
				return c
			}
		}
	}
	return 0
}
