//go:build !whisper

package audio

import (
	"context"
	"errors"
)

// ErrNoWhisper explains how to get the in-process engine.
var ErrNoWhisper = errors.New("this hoard was built without the whisper.cpp engine: build it with `make build` (WHISPER=1, the default; " +
	"see the README), or point Hoard at a transcription server (--transcribe-url)")

// WhisperBuilt says whether this build carries the whisper.cpp engine.
const WhisperBuilt = false

// Whisper is the whisper.cpp engine; this build has none.
type Whisper struct{}

// NewWhisper always fails in a build without the whisper tag.
func NewWhisper(string, int) (*Whisper, error) { return nil, ErrNoWhisper }

// Name says which engine this is.
func (*Whisper) Name() string { return "whisper.cpp" }

// Close does nothing.
func (*Whisper) Close() error { return nil }

// Transcribe always fails in a build without the whisper tag.
func (*Whisper) Transcribe(context.Context, []float32, string) ([]Segment, error) {
	return nil, ErrNoWhisper
}
