package infer

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// vocab reads vocab.txt: the id of a piece is its line number.
func vocab(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := map[string]int{}
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan(); i++ {
		v[sc.Text()] = i
	}
	return v
}

// The expected pieces were written by hand following BERT's uncased
// WordPiece rules (lower-case, strip accents, split punctuation and CJK
// characters, greedy longest-match with ## continuations, [UNK] for
// characters outside the vocabulary and for words over 100 characters) and
// turned into ids with vocab.txt alone, independently of tokenizer.json.
func TestTokenizerMatchesHandWrittenIDs(t *testing.T) {
	long := strings.Repeat("a", 101)
	cases := []struct {
		name, text string
		pieces     []string
	}{
		{"empty", "", nil},
		{"plain", "Hello world", []string{"hello", "world"}},
		{"accents", "Café naïve résumé", []string{"cafe", "naive", "resume"}},
		{"cjk", "東京", []string{"東", "京"}},
		{"emoji", "I ❤ 🦊", []string{"i", "[UNK]", "[UNK]"}},
		{"url", "https://example.com/a?b=1", []string{"https", ":", "/", "/", "example", ".", "com", "/", "a", "?", "b", "=", "1"}},
		{"word pieces", "unaffable", []string{"una", "##ffa", "##ble"}},
		{"very long word", long, []string{"[UNK]"}},
		{"punctuation", "don't stop!", []string{"don", "'", "t", "stop", "!"}},
	}
	for _, model := range []string{"bge-small-en-v1.5", "all-MiniLM-L6-v2", "gte-small", "e5-small-v2"} {
		dir := testdata.Shared(t, filepath.Join("models", "tokenizers", model))
		vocabPath := filepath.Join(dir, "vocab.txt")
		if _, err := os.Stat(vocabPath); err != nil {
			vocabPath = testdata.Shared(t, filepath.Join("models", "tokenizers", "bge-small-en-v1.5", "vocab.txt"))
		}
		v := vocab(t, vocabPath)
		tok, err := LoadTokenizer(filepath.Join(dir, "tokenizer.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(model+"/"+c.name, func(t *testing.T) {
				want := []int{v["[CLS]"]}
				for _, p := range c.pieces {
					id, ok := v[p]
					if !ok {
						t.Fatalf("test bug: %q not in vocab.txt", p)
					}
					want = append(want, id)
				}
				want = append(want, v["[SEP]"])
				got := tok.Encode(c.text, 512)
				if !slices.Equal(got, want) {
					t.Errorf("Encode(%q) = %v, want %v", c.text, got, want)
				}
			})
		}
		if want := []int{101, 102}; !slices.Equal(tok.Encode("", 512), want) {
			t.Errorf("%s: specials %v, want %v", model, tok.Encode("", 512), want)
		}
	}
}

// Truncation is Hoard's: files with a length of 128 baked in must not cut
// at 128, and maxLen is honoured with the specials kept.
func TestTokenizerTruncation(t *testing.T) {
	dir := testdata.Shared(t, filepath.Join("models", "tokenizers", "all-MiniLM-L6-v2"))
	tok, err := LoadTokenizer(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("knowledge vault ", 300)
	for _, max := range []int{16, 200, 512} {
		ids := tok.Encode(text, max)
		if len(ids) != max || ids[0] != 101 || ids[len(ids)-1] != 102 {
			t.Errorf("maxLen %d: got %d ids, first %d last %d", max, len(ids), ids[0], ids[len(ids)-1])
		}
	}
	ids, types := tok.EncodePair("what is hoard", text, 64, false)
	if len(ids) != 64 || len(types) != 64 {
		t.Fatalf("pair: %d ids, %d types", len(ids), len(types))
	}
	// [CLS] what is ho ##ard [SEP] → segment 0; the rest is segment 1.
	if ids[0] != 101 || ids[5] != 102 || types[5] != 0 || types[6] != 1 || ids[63] != 102 || types[63] != 1 {
		t.Errorf("pair layout: ids %v types %v", ids[:8], types[:8])
	}
}
