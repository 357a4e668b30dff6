package vault

import "errors"

// ErrNoTranscriber keeps an audio file in the queue until a transcription
// engine is configured.
var ErrNoTranscriber = errors.New("waiting for a transcription engine")

func (v *Vault) transcriber() any { return nil }
