package answer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/text"
)

// Window is a model server that tells a model's context size and counts
// tokens (the built-in runner with the model's own tokenizer, Ollama by a
// cautious estimate): the prompt is then cut to fit it.
type Window interface {
	ContextSize(ctx context.Context, model string) (int, error)
	CountTokens(ctx context.Context, model, text string) (int, error)
}

const (
	// answerTokens are kept free for the answer (at most a quarter of the
	// context).
	answerTokens = 512
	// templateTokens is what a chat template adds around each message
	// (role markers, separators), generously.
	templateTokens = 32
	// minCutTokens: a passage is cut to fit only when at least this much
	// of it fits; less reads as noise.
	minCutTokens = 48
)

// fitted is a prompt that fits the model's context.
type fitted struct {
	user      string
	given     []search.Hit // numbered 1..n in the prompt, whole (for citations)
	leftOut   []search.Hit
	cut       []int // numbers of the passages cut to fit
	maxTokens int   // the answer's budget; 0: the model's default
	step      Step  // what was done, when anything was
}

// fit builds the user prompt from as many passages, in rank order, as fit
// the model's context beside the system prompt, the question and the
// answer's budget; the first that does not fit whole is cut, the rest are
// left out and named. Models that do not tell their context get every
// passage.
func fit(ctx context.Context, opt Options, system, q string, hits []search.Hit, facts []Fact) (fitted, error) {
	w, ok := opt.LLM.(Window)
	if !ok {
		return fitted{user: prompt(q, hits, facts), given: hits}, nil
	}
	nctx, err := w.ContextSize(ctx, opt.Model)
	if err != nil {
		return fitted{}, err
	}
	count := func(s string) (int, error) { return w.CountTokens(ctx, opt.Model, s) }
	f := fitted{maxTokens: min(answerTokens, nctx/4)}
	fixed, err := count(system + "\n" + prompt(q, nil, nil))
	if err != nil {
		return fitted{}, err
	}
	budget := nctx - f.maxTokens - fixed - 2*templateTokens
	var shown []search.Hit // as the prompt shows them (cut)
	for _, h := range hits {
		n, err := count(source(len(shown)+1, h))
		if err != nil {
			return fitted{}, err
		}
		switch {
		case n <= budget:
			budget -= n
		case budget >= minCutTokens && len(f.cut) == 0:
			// Cut the passage to the share that fits, then check.
			short := h
			runes := []rune(h.Text)
			keep := len(runes) * budget / n
			for {
				short.Text = string(runes[:max(keep, 0)]) + " …"
				if n, err = count(source(len(shown)+1, short)); err != nil {
					return fitted{}, err
				}
				if n <= budget || keep <= 0 {
					break
				}
				keep = keep * 4 / 5
			}
			if keep <= 0 {
				f.leftOut = append(f.leftOut, h)
				continue
			}
			budget -= n
			f.cut = append(f.cut, len(shown)+1)
			h = short
		default:
			f.leftOut = append(f.leftOut, h)
			continue
		}
		shown = append(shown, h)
		f.given = append(f.given, hitByChunk(hits, h.ChunkID))
	}
	if len(shown) == 0 {
		return fitted{}, fmt.Errorf("the question leaves no room for a passage in the model's %d-token context", nctx)
	}
	// Facts go in only when they fit too, and only those whose source is
	// given.
	var kept []Fact
	for _, fa := range facts {
		if hasChunk(f.given, fa.Source.ChunkID) {
			kept = append(kept, fa)
		}
	}
	if len(kept) > 0 {
		n, err := count(prompt("", nil, kept))
		if err != nil {
			return fitted{}, err
		}
		if n > budget {
			kept = nil
		}
	}
	f.user = prompt(q, shown, kept)
	if len(f.leftOut) > 0 || len(f.cut) > 0 {
		var names []string
		for _, h := range f.leftOut {
			names = append(names, h.Title)
		}
		detail := fmt.Sprintf("%d-token context: %d of %d passages given", nctx, len(f.given), len(hits))
		if len(f.cut) > 0 {
			detail += fmt.Sprintf(", [%d] cut to fit", f.cut[0])
		}
		if len(names) > 0 {
			detail += "; left out: " + strings.Join(names, "; ")
		}
		f.step = Step{"context", detail}
	}
	return f, nil
}

func hitByChunk(hits []search.Hit, id int64) search.Hit {
	for _, h := range hits {
		if h.ChunkID == id {
			return h
		}
	}
	return search.Hit{}
}

func hasChunk(hits []search.Hit, id int64) bool {
	for _, h := range hits {
		if h.ChunkID == id {
			return true
		}
	}
	return false
}

// checkCitations takes out of an answer the [n] markers that point at no
// passage given (n outside 1..given), returning the answer and the numbers
// taken out.
func checkCitations(text string, given int) (string, []int) {
	var removed []int
	out := marker.ReplaceAllStringFunc(text, func(m string) string {
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		if n >= 1 && n <= given {
			return m
		}
		removed = append(removed, n)
		return ""
	})
	if len(removed) == 0 {
		return text, nil
	}
	// Mend the spaces a removed marker leaves ("born [9]." → "born.").
	out = spaceBefore.ReplaceAllString(spaces.ReplaceAllString(out, " "), "$1")
	return strings.TrimSpace(out), removed
}

var (
	spaces      = regexp.MustCompile(`[ \t]{2,}`)
	spaceBefore = regexp.MustCompile(`[ \t]+([.,;:!?])`)
)

// citeStream passes a streamed answer on with the markers checkCitations
// would take out already taken out, so what a reader sees stream is what
// the answer says at the end. A tail that may still become such a marker
// (an open "[12", or the spaces before one) is held until it is whole.
type citeStream struct {
	out   func(string) error
	given int
	held  string
}

var (
	openTail     = regexp.MustCompile(`[ \t]*(\[\d{0,6})?$`)
	spacedMarker = regexp.MustCompile(`[ \t]*\[(\d+)\]`)
)

func (c *citeStream) write(s string) error {
	if c.out == nil {
		return nil
	}
	text := c.held + s
	cut := openTail.FindStringIndex(text)[0]
	emit := c.clean(text[:cut])
	c.held = text[cut:]
	if emit == "" {
		return nil
	}
	return c.out(emit)
}

func (c *citeStream) flush() error {
	if c.out == nil || c.held == "" {
		return nil
	}
	rest := c.clean(c.held)
	c.held = ""
	if rest == "" {
		return nil
	}
	return c.out(rest)
}

// clean drops markers of passages not given, with the spaces before them.
func (c *citeStream) clean(s string) string {
	return spacedMarker.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(spacedMarker.FindStringSubmatch(m)[1])
		if n >= 1 && n <= c.given {
			return m
		}
		return ""
	})
}

// answers decides whether the passages answer the question, before any
// model is asked and the same way without one. best is the share of the
// question's word weight (words rarer in the vault weigh more) the best
// sentence holds. A question that names
// something (a person, a film, a place) is answered only when every name is
// in the passages and, for a question about one thing, a passage naming it
// also holds another of the question's words: multi-hop questions spread
// their evidence over passages, so no one sentence need hold it. A question naming nothing is
// answered when one sentence holds minCover of its words.
func answers(question string, hits []search.Hit, best float64) (bool, string) {
	// What a question puts in parentheses tells apart things of one name
	// ("Wilderness (Miniseries)"); the passages rarely say it so.
	names := Names(parenthesized.ReplaceAllString(question, " "))
	if len(names) == 0 {
		if best < minCover {
			return false, fmt.Sprintf("the best sentence holds %.0f%% of the question's words (%.0f%% needed)", 100*best, 100*minCover)
		}
		return true, ""
	}
	inName := map[string]bool{}
	var naming []int // hits that hold a name
	texts := make([][]string, len(hits))
	for i, h := range hits {
		texts[i] = text.Words(h.Title + " \n " + h.Text)
	}
	named := func(words []string) bool {
		found := false
		for i, t := range texts {
			if containsRun(t, words) {
				found = true
				naming = append(naming, i)
			}
		}
		return found
	}
	things := 0 // what the question names, found
	for _, n := range names {
		words := nameWords(n)
		for _, w := range words {
			inName[text.Stem(w)] = true
		}
		if named(words) {
			things++
			continue
		}
		// Names runs "A and B" together: each is then a name of its own.
		for _, part := range strings.Split(n, " and ") {
			if !named(nameWords(part)) {
				return false, fmt.Sprintf("no passage names %q", part)
			}
			things++
		}
	}
	// Two things named and both found: a comparison ("Who was born first,
	// A or B?") whose answer is one of them, whatever words the passages
	// use for the comparison.
	if best >= minCover || things >= 2 {
		return true, ""
	}
	var other []string
	for _, w := range text.Words(question) {
		if s := text.Stem(w); !text.IsStopWord(w) && !inName[s] && !questionWords[w] {
			other = append(other, s)
		}
	}
	if len(other) == 0 {
		return true, ""
	}
	for _, i := range naming {
		for _, w := range text.Words(hits[i].Text) {
			for _, s := range other {
				if akin(text.Stem(w), s) {
					return true, ""
				}
			}
		}
	}
	return false, fmt.Sprintf("the passages that name %s say nothing else the question asks", strings.Join(names, ", "))
}

var parenthesized = regexp.MustCompile(`\([^)]*\)`)

// akin: the same stem, or one of five letters or more begins the other
// ("direct" of "directed" and "director").
func akin(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || len(a) >= 5 && strings.HasPrefix(b, a)
}

// nameWords are a name's words, a possessive dropped ("Lothair II's").
func nameWords(name string) []string {
	for _, s := range []string{"'s", "’s"} {
		name = strings.TrimSuffix(name, s)
	}
	return text.Words(name)
}

// containsRun says whether words holds run as consecutive words.
func containsRun(words, run []string) bool {
	if len(run) == 0 {
		return false
	}
	for i := 0; i+len(run) <= len(words); i++ {
		match := true
		for j, w := range run {
			if words[i+j] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
