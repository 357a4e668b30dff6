package text

import (
	"slices"
	"testing"
)

func TestAppendWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello, WORLD!", []string{"hello", "world"}},
		{"x2 3.5kg co-op", []string{"x2", "3", "5kg", "co", "op"}},
		{"ÉTÉ naïve Straße", []string{"été", "naïve", "straße"}},
		{"東京 タワー", []string{"東京", "タワー"}},
		{"emoji🙂between", []string{"emoji", "between"}},
		{"\xff\xfeBad", []string{"bad"}},
	}
	for _, tc := range cases {
		got := AppendWords(nil, tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("AppendWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if ref := Words(tc.in); !slices.Equal(got, ref) {
			t.Errorf("AppendWords(%q) = %q, Words says %q", tc.in, got, ref)
		}
	}
}

// FuzzWords checks AppendWords against Words, the plain definition it
// speeds up.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"Hello, WORLD!", "ÉTÉ naïve", "東京", "\xff\xfeBad", "İstanbul", "ǅungla", "a\u0301b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, want := AppendWords(nil, in), Words(in)
		if !slices.Equal(got, want) {
			t.Fatalf("AppendWords(%q) = %q, Words = %q", in, got, want)
		}
	})
}
