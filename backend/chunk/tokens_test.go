package chunk

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/hoardvault/hoard/backend/internal/script"
)

// Every ASCII character is counted as the Unicode classes count it.
func TestTokensASCIIClasses(t *testing.T) {
	for r := rune(0); r < 0x80; r++ {
		for _, run := range []int{0, 1, 5, 6} {
			got := counter{run: run}
			ok := got.add(r)
			want := counter{run: run}
			var wantOK bool
			switch {
			case script.IsCJK(r):
				want.run, wantOK = 0, true
			case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
				wantOK = run == 0 || run%6 == 0
				want.run++
			case unicode.IsSpace(r):
				want.run = 0
			default:
				want.run, wantOK = 0, true
			}
			if ok != wantOK || got != want {
				t.Errorf("%q after a run of %d: %v, run %d; want %v, run %d", r, run, ok, got.run, wantOK, want.run)
			}
		}
	}
}

// Chunking counts the tokens of every sentence, several times over: on
// ASCII text that must cost about what reading its runes does, not a
// lookup in four Unicode tables a rune (eight times as long).
func TestTokensASCIIWithoutTables(t *testing.T) {
	text := strings.Repeat("Diffusion-weighted MRI (n = 17) measured the apparent diffusion coefficient in 2,048 infants. ", 20)
	var sink int
	timed := func(fn func()) time.Duration {
		t0 := time.Now()
		for range 200 {
			fn()
		}
		return time.Since(t0)
	}
	read := func() {
		for _, r := range text {
			sink += int(r)
		}
	}
	count := func() { sink += Tokens(text) }
	// The best of five rounds, so a busy machine does not decide.
	best := 1e9
	for range 5 {
		r, c := timed(read), timed(count)
		best = min(best, float64(c)/float64(max(1, r)))
	}
	if best > 15 {
		t.Errorf("counting tokens costs %.0f times reading the runes, want at most 15", best)
	}
}
