//go:build whisper

package audio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ggerganov/whisper.cpp/bindings/go/pkg/whisper"
)

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
	if language == "" {
		language = "auto"
	}
	if err := c.SetLanguage(language); err != nil {
		return nil, fmt.Errorf("whisper.cpp: language %q: %w", language, err)
	}
	if w.threads > 0 {
		c.SetThreads(w.threads)
	}
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
		out = append(out, Segment{Start: s.Start, End: s.End, Text: s.Text})
	}
}
