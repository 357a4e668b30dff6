package infer

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gomlx/go-huggingface/tokenizers/api"
	"github.com/gomlx/go-huggingface/tokenizers/hftokenizer"
)

// Tokenizer turns text into model input ids from a Hugging Face
// tokenizer.json (WordPiece, BPE or Unigram). Truncation and special tokens
// are applied here, never from the file: some files have a fixed length of
// 128 baked in.
type Tokenizer struct {
	tok    *hftokenizer.Tokenizer
	prefix []int // what the template puts before a text ([CLS], <s>)
	suffix []int // and after it ([SEP], </s>)
	pad    int
	// cleanFormat drops format and private-use characters (zero-width
	// space, soft hyphen, BOM) as Hugging Face's BERT normalizer does with
	// clean_text; the Go library drops only control characters.
	cleanFormat bool
}

// LoadTokenizer reads a tokenizer.json.
func LoadTokenizer(path string) (*Tokenizer, error) {
	t, err := hftokenizer.NewFromFile(nil, path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	// The specials come from the file's post-processor: encode nothing with
	// them on and see what surrounds it.
	if err := t.With(api.EncodeOptions{AddSpecialTokens: true}); err != nil {
		return nil, err
	}
	around := t.Encode("")
	if err := t.With(api.EncodeOptions{AddSpecialTokens: false}); err != nil {
		return nil, err
	}
	out := &Tokenizer{tok: t, cleanFormat: bertCleansText(path)}
	switch len(around) {
	case 0:
	case 1:
		out.prefix = around[:1]
	default:
		out.prefix, out.suffix = around[:1], around[len(around)-1:]
	}
	if id, err := t.SpecialTokenID(api.TokPad); err == nil {
		out.pad = id
	}
	return out, nil
}

// Pad is the padding id.
func (t *Tokenizer) Pad() int { return t.pad }

// pieces encodes text without special tokens, stopping near max tokens. The
// text is cut first: a token covers at least a byte or so, and the library's
// pre-tokenizer is slow on very long text.
func (t *Tokenizer) pieces(text string, max int) []int {
	if limit := max * 16; max > 0 && len(text) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	if t.cleanFormat {
		text = dropFormat(text)
	}
	ids := t.tok.Encode(text)
	if max > 0 && len(ids) > max {
		ids = ids[:max]
	}
	return ids
}

// Encode returns the ids of one text with the model's special tokens, at
// most maxLen in all.
func (t *Tokenizer) Encode(text string, maxLen int) []int {
	body := t.pieces(text, maxLen-len(t.prefix)-len(t.suffix))
	out := make([]int, 0, len(body)+len(t.prefix)+len(t.suffix))
	out = append(out, t.prefix...)
	out = append(out, body...)
	return append(out, t.suffix...)
}

// EncodePair returns ids and segment types for a (query, passage) pair, as
// cross-encoders read them: [CLS] a [SEP] b [SEP] (BERT) or
// <s> a </s></s> b </s> (RoBERTa family, double separator). The passage is
// truncated first; the query keeps at least half of maxLen.
func (t *Tokenizer) EncodePair(a, b string, maxLen int, double bool) (ids, types []int) {
	specials := len(t.prefix) + 2*len(t.suffix)
	if double {
		specials += len(t.suffix)
	}
	room := maxLen - specials
	qa := t.pieces(a, room/2)
	pb := t.pieces(b, room-len(qa))
	ids = append(ids, t.prefix...)
	ids = append(ids, qa...)
	ids = append(ids, t.suffix...)
	first := len(ids)
	if double {
		ids = append(ids, t.suffix...)
	}
	ids = append(ids, pb...)
	ids = append(ids, t.suffix...)
	types = make([]int, len(ids))
	if !double {
		for i := first; i < len(types); i++ {
			types[i] = 1
		}
	}
	return ids, types
}

// Count is the number of tokens of text without special tokens (for
// chunk sizing).
func (t *Tokenizer) Count(text string) int {
	if t.cleanFormat {
		text = dropFormat(text)
	}
	return len(t.tok.Encode(text))
}

// bertCleansText reports whether the file's normalizer is BERT's with
// clean_text on (the default when the field is absent).
func bertCleansText(path string) bool {
	raw, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var f struct {
		Normalizer *struct {
			Type      string `json:"type"`
			CleanText *bool  `json:"clean_text"`
		} `json:"normalizer"`
	}
	if json.Unmarshal(raw, &f) != nil || f.Normalizer == nil || f.Normalizer.Type != "BertNormalizer" {
		return false
	}
	return f.Normalizer.CleanText == nil || *f.Normalizer.CleanText
}

func isFormat(r rune) bool { return unicode.In(r, unicode.Cf, unicode.Co) }

func dropFormat(s string) string {
	if strings.IndexFunc(s, isFormat) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isFormat(r) {
			return -1
		}
		return r
	}, s)
}
