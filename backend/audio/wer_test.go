package audio

import (
	"math"
	"strings"
	"testing"
)

func TestNormalizeAndWER(t *testing.T) {
	for _, c := range []struct {
		want, got string
		wer       float64
	}{
		{"And so my fellow Americans, ask not", "and so my fellow americans ask not", 0},
		{"under forty thousand euros.", "under €40,000.", 0},
		{"on the thirtieth of June", "on the 30th of June", 0},
		{"the twelfth of September", "the 12th of September", 0},
		{"permits for sixty euros", "permits for 60 euros", 0},
		{"three moving companies", "3 moving companies", 0},
		{"the twenty-first floor", "the 21st floor", 0},
		{"supplier in Porto", "supply room portal", 1}, // three substitutions of three words
		{"one two three four", "one two four", 0.25},   // a deletion
		{"one two", "one two three", 0.5},              // an insertion
		{"", "", 0},
	} {
		got := WER(c.want, c.got)
		if math.Abs(got-c.wer) > 1e-9 {
			t.Errorf("WER(%q, %q) = %.3f, want %.3f (%q / %q)", c.want, c.got, got, c.wer,
				strings.Join(Normalize(c.want), " "), strings.Join(Normalize(c.got), " "))
		}
	}
}
