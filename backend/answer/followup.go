package answer

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/backend/text"
)

// Turn is an earlier exchange of the conversation a question belongs to.
type Turn struct {
	Question  string     // as asked
	Query     string     // what it was resolved to
	Answer    string     //
	Citations []Citation //
}

// anaphora point back at something said before.
var anaphora = regexp.MustCompile(`(?i)\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|then|the same|the former|the latter)\b`)

// elliptic openings continue the last question: "and in 2010?", "what about Paris?".
var elliptic = regexp.MustCompile(`(?i)^\s*(and|or|but|also|what about|how about|same for|why|how so|more)\b`)

// isFollowUp says whether a question leans on the conversation.
func isFollowUp(q string) bool {
	if anaphora.MatchString(q) || elliptic.MatchString(q) {
		return true
	}
	content := 0
	for _, w := range text.Words(q) {
		if !text.IsStopWord(w) {
			content++
		}
	}
	return content <= 2
}

// resolve turns a follow-up into a question that stands alone: the model
// rewrites it when there is one; otherwise the names the last answer brought
// up, then the last question's, are added to it (the referent of "he" is most
// often what the last answer named).
func resolve(ctx context.Context, opt Options, q string) (string, Step) {
	last := opt.History[len(opt.History)-1]
	if !isFollowUp(q) {
		return q, Step{}
	}
	if opt.LLM != nil {
		if r, err := rewrite(ctx, opt, q); err == nil && r != "" {
			return r, Step{"follow-up", fmt.Sprintf("rewritten by the model as %q", r)}
		}
	}
	prev := last.Query
	if prev == "" {
		prev = last.Question
	}
	var add []string
	have := map[string]bool{}
	for _, w := range text.Words(q) {
		have[w] = true
	}
	push := func(name string) {
		key := strings.ToLower(name)
		if have[key] || len(add) >= 4 {
			return
		}
		for _, w := range text.Words(name) {
			have[w] = true
		}
		have[key] = true
		add = append(add, name)
	}
	prevNames := map[string]bool{}
	for _, n := range Names(prev) {
		prevNames[strings.ToLower(n)] = true
	}
	if len(last.Citations) > 0 || last.Answer != "" {
		for _, n := range Names(stripMarkers(last.Answer)) {
			if !prevNames[strings.ToLower(n)] {
				push(n)
			}
		}
	}
	for _, n := range Names(prev) {
		push(n)
	}
	if len(add) == 0 {
		for _, w := range text.Words(prev) {
			if !text.IsStopWord(w) {
				push(w)
			}
		}
	}
	if len(add) == 0 {
		return q, Step{}
	}
	r := strings.TrimSpace(q) + " (" + strings.Join(add, ", ") + ")"
	return r, Step{"follow-up", fmt.Sprintf("read as %q", r)}
}

func stripMarkers(s string) string { return marker.ReplaceAllString(s, " ") }

const rewritePrompt = `Rewrite the user's last question so that it can be understood without the conversation: replace pronouns and references with what they refer to. Reply with the rewritten question only.`

func rewrite(ctx context.Context, opt Options, q string) (string, error) {
	var sb strings.Builder
	from := max(0, len(opt.History)-3)
	for _, t := range opt.History[from:] {
		fmt.Fprintf(&sb, "User: %s\nAssistant: %s\n", t.Question, text.Clip(stripMarkers(t.Answer), 400))
	}
	fmt.Fprintf(&sb, "User: %s\n\nRewritten question:", q)
	resp, err := opt.LLM.Chat(ctx, llm.Request{Model: opt.Model, Messages: []llm.Message{
		{Role: "system", Content: rewritePrompt}, {Role: "user", Content: sb.String()},
	}}, nil)
	if err != nil {
		return "", err
	}
	r := strings.TrimSpace(strings.Trim(strings.TrimSpace(firstLine(resp.Text)), `"`))
	return r, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// questionWords open questions; capitalized, they are not names.
var questionWords = map[string]bool{"who": true, "what": true, "when": true, "where": true, "which": true, "why": true,
	"how": true, "is": true, "are": true, "was": true, "were": true, "did": true, "does": true, "do": true, "can": true,
	"i": true, "and": true, "summarize": true, "summarise": true, "tell": true, "give": true, "list": true, "find": true}

// Names are the names in a text: runs of capitalized words (with "of",
// "the" and the like inside), quoted phrases, and capitalized single words
// that do not open a sentence.
func Names(s string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		n = strings.Trim(n, " ,.;:!?'\"()[]")
		if k := strings.ToLower(n); len(n) >= 2 && !seen[k] && !questionWords[k] && !text.IsStopWord(k) {
			seen[k] = true
			out = append(out, n)
		}
	}
	for _, m := range quoted.FindAllStringSubmatch(s, -1) {
		add(m[1])
	}
	words := strings.Fields(s)
	var run []string
	flush := func() {
		for len(run) > 0 && connectorWords[strings.ToLower(run[len(run)-1])] {
			run = run[:len(run)-1]
		}
		if len(run) > 0 {
			add(strings.Join(run, " "))
		}
		run = nil
	}
	for i, w := range words {
		if strings.IndexAny(w[:1], "\"“'([") == 0 {
			flush() // an opening quote or bracket starts a new name
		}
		clean := strings.Trim(w, ",.;:!?\"“”'()[]")
		opensSentence := i == 0 || strings.ContainsAny(words[i-1][len(words[i-1])-1:], ".!?")
		switch {
		case clean != "" && isCapitalized(clean) && !(opensSentence && questionWords[strings.ToLower(clean)]):
			if len(run) == 0 && opensSentence && text.IsStopWord(strings.ToLower(clean)) {
				break
			}
			run = append(run, clean)
		case len(run) > 0 && connectorWords[strings.ToLower(clean)]:
			run = append(run, clean)
		default:
			flush()
		}
		if strings.TrimRight(w, ",.;:!?\"”')]") != w {
			flush() // closing punctuation ends a name
		}
	}
	flush()
	return dropContained(out)
}

// dropContained drops names that are part of a longer name found too
// ("Samouraï" inside "Le Samouraï").
func dropContained(names []string) []string {
	var out []string
	for i, n := range names {
		inside := false
		for j, m := range names {
			if i != j && len(m) > len(n) && strings.Contains(" "+strings.ToLower(m)+" ", " "+strings.ToLower(n)+" ") {
				inside = true
			}
		}
		if !inside {
			out = append(out, n)
		}
	}
	return out
}

var quoted = regexp.MustCompile(`["“]([^"”]{2,80})["”]`)

var connectorWords = map[string]bool{"of": true, "the": true, "de": true, "von": true, "van": true, "der": true, "la": true, "le": true, "and": true, "for": true}

func isCapitalized(w string) bool {
	r := []rune(w)
	return len(r) > 0 && r[0] >= 'A' && r[0] <= 'Z' || len(r) > 1 && r[0] > 0x7f && strings.ToUpper(string(r[0])) == string(r[0]) && strings.ToLower(string(r[0])) != string(r[0])
}
