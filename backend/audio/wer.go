package audio

import (
	"regexp"
	"strconv"
	"strings"
)

// WER is the word error rate of got against want after Normalize: word
// substitutions, insertions and deletions over the words of want.
func WER(want, got string) float64 {
	w, g := Normalize(want), Normalize(got)
	if len(w) == 0 {
		if len(g) == 0 {
			return 0
		}
		return 1
	}
	// Levenshtein distance over words, one row at a time.
	prev := make([]int, len(g)+1)
	cur := make([]int, len(g)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(w); i++ {
		cur[0] = i
		for j := 1; j <= len(g); j++ {
			cost := 1
			if w[i-1] == g[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(g)]) / float64(len(w))
}

var (
	thousands = regexp.MustCompile(`(\d),(\d{3})`)
	currency  = regexp.MustCompile(`[€$£](\d[\d,]*)`)
	numberTok = regexp.MustCompile(`^(\d+)(st|nd|rd|th)?$`)
	nonWord   = regexp.MustCompile(`[^a-z0-9' ]+`)
)

// Normalize lowercases a transcript, drops punctuation, and spells numbers
// as words ("40,000" and "forty thousand", "12th" and "twelfth", "€60" and
// "sixty euros" compare equal), so a WER counts words, not spelling.
func Normalize(s string) []string {
	s = strings.ToLower(s)
	s = currency.ReplaceAllStringFunc(s, func(m string) string {
		unit := map[byte]string{'$': " dollars", '£': " pounds"}[m[0]]
		if unit == "" {
			unit = " euros"
		}
		return strings.TrimLeft(m, "€$£") + unit
	})
	for thousands.MatchString(s) {
		s = thousands.ReplaceAllString(s, "$1$2")
	}
	s = strings.NewReplacer("-", " ", "’", "'").Replace(s)
	s = nonWord.ReplaceAllString(s, " ")
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "'")
		if m := numberTok.FindStringSubmatch(w); m != nil {
			n, err := strconv.Atoi(m[1])
			if err == nil && n < 1_000_000 {
				out = append(out, strings.Fields(spell(n, m[2] != ""))...)
				continue
			}
		}
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

var ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
var tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

// spell writes n (below a million) in words, as an ordinal when asked.
func spell(n int, ordinal bool) string {
	var words string
	switch {
	case n < 20:
		words = ones[n]
	case n < 100:
		words = tens[n/10]
		if n%10 != 0 {
			words += " " + ones[n%10]
		}
	case n < 1000:
		words = ones[n/100] + " hundred"
		if n%100 != 0 {
			words += " " + spell(n%100, false)
		}
	default:
		words = spell(n/1000, false) + " thousand"
		if n%1000 != 0 {
			words += " " + spell(n%1000, false)
		}
	}
	if !ordinal {
		return words
	}
	f := strings.Fields(words)
	last := f[len(f)-1]
	irregular := map[string]string{"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
	switch {
	case irregular[last] != "":
		last = irregular[last]
	case strings.HasSuffix(last, "y"):
		last = strings.TrimSuffix(last, "y") + "ieth"
	default:
		last += "th"
	}
	f[len(f)-1] = last
	return strings.Join(f, " ")
}
