package chunk

import (
	"strings"
	"testing"
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

// BenchmarkTokensASCII: chunking counts the tokens of every sentence,
// several times over; on ASCII text that costs about what reading its runes
// does (it once looked a rune up in four Unicode tables, eight times as
// long). A benchmark, not a timed test: speed is measured by the bench.
func BenchmarkTokensASCII(b *testing.B) {
	text := strings.Repeat("Diffusion-weighted MRI (n = 17) measured the apparent diffusion coefficient in 2,048 infants. ", 20)
	b.SetBytes(int64(len(text)))
	sink := 0
	for range b.N {
		sink += Tokens(text)
	}
	if sink == 0 {
		b.Fatal("no tokens counted")
	}
}
