package script

import "testing"

func TestLatinShare(t *testing.T) {
	cases := []struct {
		s    []string
		n    int
		want float64
	}{
		{[]string{"Quality assurance"}, 1000, 1},
		{[]string{"Crème brûlée, Ærøskøbing"}, 1000, 1},
		{[]string{"わたくしといふ現象は"}, 1000, 0},
		{[]string{"ab わた"}, 1000, 0.5},
		{[]string{"ab わた"}, 2, 1},         // only the first two letters
		{[]string{"2024 — 42%"}, 1000, 1}, // no letters
		{[]string{"Привет мир"}, 1000, 0},
		{[]string{"Title", "わたくし"}, 1000, 5.0 / 9}, // read one after the other
		{[]string{"Title", "わたくし"}, 5, 1},
	}
	for _, tc := range cases {
		if got := LatinShare(tc.n, tc.s...); got != tc.want {
			t.Errorf("LatinShare(%d, %q) = %v, want %v", tc.n, tc.s, got, tc.want)
		}
	}
}
