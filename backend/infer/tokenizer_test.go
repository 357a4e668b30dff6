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

// A byte-level BPE tokenizer (GPT-2 / RoBERTa family) written by hand: a
// space is the byte-level character Ġ, and merges apply in rank order.
func TestByteLevelBPE(t *testing.T) {
	const tj = `{
  "version": "1.0", "truncation": {"max_length": 2}, "padding": null,
  "added_tokens": [{"id": 19, "content": "<|endoftext|>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "post_processor": null,
  "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
    "fuse_unk": false, "byte_fallback": false,
    "vocab": {"h": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "he": 8, "ll": 9, "hell": 10, "hello": 11,
              "Ġw": 12, "or": 13, "Ġwor": 14, "Ġworl": 15, "Ġworld": 16, "!": 17, "<|endoftext|>": 19},
    "merges": ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"]}
}`
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, []byte(tj), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := LoadTokenizer(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []int
	}{
		{"hello world!", []int{11, 16, 17}}, // hello, Ġworld, !
		{"hold", []int{0, 3, 2, 7}},         // no merge applies
		{"hell", []int{10}},
		{"", nil},
	} {
		// The file's truncation (2) is ignored: Hoard sets its own.
		if got := tok.Encode(c.text, 512); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}
