package search

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"hello world", `("hello" OR "world")`},
		{"the cat", `"cat"`},
		{"the", `"the"`},
		{`"exact phrase" other`, `("other" OR "exact phrase")`},
		{`“curly quotes”`, `"curly quotes"`},
		{"apple -banana", `"apple" NOT "banana"`},
		{"apple NOT banana", `"apple" NOT "banana"`},
		{"a AND b OR c", `("b" OR "c")`},
		{"photo*", `"photo"*`},
		{"covid-19 vaccine", `("covid 19" OR "vaccine")`},
		{`col:umn ^boost NEAR(x y)`, `("col umn" OR "boost" OR "NEAR x" OR "y")`},
		{"🙂🙂", ``},
		{"", ``},
		{`"unterminated phrase`, `"unterminated phrase"`},
		{"Hello hello HELLO", `"Hello"`},
		{"わたくし", `"わたくし"*`},
		{`say "he said ""hi"""`, `("say" OR "hi" OR "he said")`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := Parse(tc.in).FTS(); got != tc.want {
				t.Errorf("Parse(%q).FTS() = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseBounds(t *testing.T) {
	q := Parse(strings.Repeat("word", 5000) + " " + strings.Repeat("x ", 10000))
	if n := len(q.Terms) + len(q.Phrases) + len(q.Prefixes) + len(q.Excluded); n > maxTerms {
		t.Fatalf("%d terms, want ≤ %d", n, maxTerms)
	}
	var sb strings.Builder
	for i := range 200 {
		sb.WriteString("term")
		sb.WriteByte(byte('a' + i%26))
		sb.WriteByte(byte('a' + i/26))
		sb.WriteByte(' ')
	}
	if n := len(Parse(sb.String()).Terms); n != maxTerms {
		t.Fatalf("%d terms, want the cap %d", n, maxTerms)
	}
}
