package script

import "testing"

func TestLatinShare(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want float64
	}{
		{"Quality assurance", 1000, 1},
		{"Crème brûlée, Ærøskøbing", 1000, 1},
		{"わたくしといふ現象は", 1000, 0},
		{"ab わた", 1000, 0.5},
		{"ab わた", 2, 1}, // only the first two letters
		{"2024 — 42%", 1000, 1}, // no letters
		{"Привет мир", 1000, 0},
	}
	for _, tc := range cases {
		if got := LatinShare(tc.s, tc.n); got != tc.want {
			t.Errorf("LatinShare(%q, %d) = %v, want %v", tc.s, tc.n, got, tc.want)
		}
	}
}
