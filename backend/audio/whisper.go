//go:build whisper

package audio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/ggerganov/whisper.cpp/bindings/go/pkg/whisper"
)

// WhisperBuilt says whether this build carries the whisper.cpp engine.
const WhisperBuilt = true

// Whisper runs a whisper.cpp model in process.
type Whisper struct {
	model   whisper.Model
	threads uint
	mu      sync.Mutex // a model decodes one piece at a time
}

// NewWhisper loads a ggml Whisper model (hoard models pull whisper-base).
func NewWhisper(modelPath string, threads int) (*Whisper, error) {
	m, err := whisper.New(modelPath)
	if err != nil {
		return nil, fmt.Errorf("whisper.cpp: load %s: %w", modelPath, err)
	}
	return &Whisper{model: m, threads: uint(max(threads, 0))}, nil
}

// Name says which engine this is.
func (w *Whisper) Name() string { return "whisper.cpp" }

// Close frees the model.
func (w *Whisper) Close() error { return w.model.Close() }

// Transcribe decodes one piece.
func (w *Whisper) Transcribe(ctx context.Context, pcm []float32, language string) ([]Segment, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, err := w.model.NewContext()
	if err != nil {
		return nil, fmt.Errorf("whisper.cpp: %w", err)
	}
	// An English-only model (*.en) refuses SetLanguage, even "en": it
	// always decodes English, so the hint is left out.
	if w.model.IsMultilingual() {
		if language == "" {
			language = "auto"
		}
		if err := c.SetLanguage(language); err != nil {
			return nil, fmt.Errorf("whisper.cpp: language %q: %w", language, err)
		}
	}
	if w.threads > 0 {
		c.SetThreads(w.threads)
	}
	// Token times let a hit cite the word; without them every token's
	// time reads -10 ms.
	c.SetTokenTimestamps(true)
	// The encoder checks the context between steps, so a cancelled ingest
	// stops early.
	if err := c.Process(pcm, func() bool { return ctx.Err() == nil }, nil, nil); err != nil {
		return nil, fmt.Errorf("whisper.cpp: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Segment
	for {
		s, err := c.NextSegment()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("whisper.cpp: %w", err)
		}
		out = append(out, Segment{Start: s.Start, End: s.End, Text: s.Text, Words: words(c, s.Tokens)})
	}
}

// words joins a segment's text tokens into words: a token that starts with
// a space begins one, any other (a word's rest, punctuation) extends it.
func words(c whisper.Context, tokens []whisper.Token) []Word {
	var out []Word
	for _, tok := range tokens {
		if !c.IsText(tok) || isSpecial(tok.Text) {
			continue
		}
		n := len(out)
		if n == 0 || strings.HasPrefix(tok.Text, " ") {
			out = append(out, Word{Start: tok.Start, End: tok.End, Text: strings.TrimSpace(tok.Text)})
			continue
		}
		out[n-1].Text += tok.Text
		out[n-1].End = max(out[n-1].End, tok.End)
	}
	// A word made only of a leading space token has no text.
	return slices.DeleteFunc(out, func(w Word) bool { return w.Text == "" })
}

// isSpecial spots control tokens by their text ("[_BEG_]", "<|endoftext|>"),
// for models whose ids IsText does not know.
func isSpecial(text string) bool {
	return strings.HasPrefix(text, "[_") && strings.HasSuffix(text, "]") ||
		strings.HasPrefix(text, "<|") && strings.HasSuffix(text, "|>")
}
