package ct2ggml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadTiktokenRejects(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"rank out of order", "YQ== 1\n", "out of order"},
		{"bad base64", "!!!! 0\n", "illegal base64"},
		{"three fields", "YQ== 0 x\n", "fields"},
		{"bad rank", "YQ== zero\n", "rank"},
		{"empty", "\n\n", "no tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "v.tiktoken")
			os.WriteFile(p, []byte(tc.body), 0o644)
			if _, err := ReadTiktoken(p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestVocabFile(t *testing.T) {
	for n, want := range map[int]string{51864: "gpt2.tiktoken", 51865: "multilingual.tiktoken", 51866: "multilingual.tiktoken"} {
		if got := VocabFile(n); got != want {
			t.Errorf("VocabFile(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestReadMelFilters(t *testing.T) {
	a := writeAssets(t, t.TempDir())
	m, err := ReadMelFilters(a.MelFilters, synMels)
	if err != nil {
		t.Fatal(err)
	}
	if m.NMel != synMels || m.NFFT != 3 || m.Data[5] != 5.0/8 {
		t.Errorf("got %+v", m)
	}
	if _, err := ReadMelFilters(a.MelFilters, 128); err == nil || !strings.Contains(err.Error(), "mel_128") {
		t.Errorf("missing array: %v", err)
	}
	if _, err := readNpyF32(strings.NewReader("\x93NUMPY\x01\x00\x20\x00{'descr': '<f8', 'shape': (1, 1), }")); err == nil {
		t.Error("float64 array accepted")
	}
}
