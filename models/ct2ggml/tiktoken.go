package ct2ggml

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
)

// VocabFile names the tiktoken rank file OpenAI's Whisper uses for a model
// with nVocab output tokens, by the reference converter's rule: 51865 and
// more is multilingual, fewer (51864) is English-only.
func VocabFile(nVocab int) string {
	if nVocab >= 51865 {
		return "multilingual.tiktoken"
	}
	return "gpt2.tiktoken"
}

// maxTokens bounds a rank file; Whisper's have about 50k lines.
const maxTokens = 1 << 20

// ReadTiktoken reads a tiktoken rank file (lines of "base64(token) rank")
// and returns the tokens in file order. whisper.cpp numbers the tokens it
// reads 0, 1, 2, ..., so ranks must run in that order; anything else is
// refused rather than silently shifting token ids.
func ReadTiktoken(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tiktoken: %w", err)
	}
	var tokens [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		fields := bytes.Fields(sc.Bytes())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("tiktoken %s:%d: want \"token rank\", got %d fields", path, line, len(fields))
		}
		// multilingual.tiktoken has "=" for an empty token; Python's
		// b64decode accepts it, Go's padded decoder does not, so decode
		// without padding.
		tok, err := base64.RawStdEncoding.DecodeString(string(bytes.TrimRight(fields[0], "=")))
		if err != nil {
			return nil, fmt.Errorf("tiktoken %s:%d: %w", path, line, err)
		}
		rank, err := strconv.Atoi(string(fields[1]))
		if err != nil {
			return nil, fmt.Errorf("tiktoken %s:%d: rank: %w", path, line, err)
		}
		if rank != len(tokens) {
			return nil, fmt.Errorf("tiktoken %s:%d: rank %d out of order (want %d)", path, line, rank, len(tokens))
		}
		if len(tokens) >= maxTokens {
			return nil, fmt.Errorf("tiktoken %s: more than %d tokens", path, maxTokens)
		}
		tokens = append(tokens, tok)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tiktoken %s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("tiktoken %s: no tokens", path)
	}
	return tokens, nil
}
