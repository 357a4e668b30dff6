package infer

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// tokenizerReference is testdata/tokenizers.json.gz, written by
// testdata/reference.py with Hugging Face's own tokenizers library.
type tokenizerReference struct {
	MaxLen     int      `json:"max_len"`
	Hard       []string `json:"hard"`
	SciFact    []string `json:"scifact"` // corpus ids, in corpus order
	Tokenizers map[string]struct {
		Names   []string `json:"names"`
		Hard    [][]int  `json:"hard"`
		SciFact [][]int  `json:"scifact"`
	} `json:"tokenizers"`
}

func readGzipJSON(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// scifactPassages reads the first n SciFact documents as title + text,
// the way reference.py joins them.
func scifactPassages(t *testing.T, n int) (ids, texts []string) {
	t.Helper()
	f, err := os.Open(testdata.Shared(t, "datasets/scifact/corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() && len(ids) < n {
		var d struct{ ID, Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		d.ID = jsonField(t, sc.Bytes(), "_id")
		ids, texts = append(ids, d.ID), append(texts, d.Title+"\n\n"+d.Text)
	}
	return ids, texts
}

func jsonField(t *testing.T, raw []byte, key string) string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	return s
}

func fileSHA256(t *testing.T, path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Every real tokenizer file gives the ids Hugging Face's tokenizers gives,
// on hard strings and on the first 500 SciFact passages, truncated at 512.
func TestTokenizerMatchesHuggingFace(t *testing.T) {
	var ref tokenizerReference
	readGzipJSON(t, "testdata/tokenizers.json.gz", &ref)
	scifactIDs, passages := scifactPassages(t, len(ref.SciFact))
	if !slices.Equal(scifactIDs, ref.SciFact) {
		t.Fatalf("the SciFact corpus is not the one the reference read (first ids %v, want %v)", scifactIDs[:3], ref.SciFact[:3])
	}
	for sha, want := range ref.Tokenizers {
		for _, name := range want.Names {
			t.Run(name, func(t *testing.T) {
				path := testdata.Shared(t, filepath.Join("models", "tokenizers", name, "tokenizer.json"))
				if got := fileSHA256(t, path); got != sha {
					t.Fatalf("%s has sha256 %s, the reference was made from %s", path, got, sha)
				}
				tok, err := LoadTokenizer(path)
				if err != nil {
					t.Fatal(err)
				}
				bad := 0
				check := func(label, text string, want []int) {
					got := tok.Encode(text, ref.MaxLen)
					if !slices.Equal(got, want) {
						bad++
						if bad <= 8 {
							i := 0
							for i < len(got) && i < len(want) && got[i] == want[i] {
								i++
							}
							t.Errorf("%s %.60q: ids differ at %d (len %d, want %d): got %v, want %v", label, text, i, len(got), len(want),
								got[i:min(i+6, len(got))], want[i:min(i+6, len(want))])
						}
					}
				}
				for i, s := range ref.Hard {
					check("hard", s, want.Hard[i])
				}
				for i, s := range passages {
					check("scifact "+ref.SciFact[i], s, want.SciFact[i])
				}
				if bad > 0 {
					t.Errorf("%d of %d texts differ from Hugging Face tokenizers", bad, len(ref.Hard)+len(passages))
				}
			})
		}
	}
}
