package vault

import (
	"context"

	"github.com/hoardvault/hoard/backend/speech"
	"github.com/hoardvault/hoard/models"
)

// Speech-to-text's options, status and test result are package speech's.
type (
	TranscriptionOptions = speech.Options
	TranscriptionStatus  = speech.Status
	TranscriptionTest    = speech.Result
)

// Transcription returns the engine configuration in force: the vault's
// options when they name one, else what the vault stores.
func (v *Vault) Transcription(ctx context.Context) (TranscriptionOptions, error) {
	return v.voice.Options(ctx)
}

// SetTranscription stores the engine configuration and makes audio files
// that were waiting for one pending again.
func (v *Vault) SetTranscription(ctx context.Context, t TranscriptionOptions) error {
	if err := v.voice.Set(ctx, t); err != nil {
		return err
	}
	if _, err := v.store.Release(ctx); err != nil {
		return err
	}
	v.kickWatch() // a running watch works the released files now
	return nil
}

// TestTranscription transcribes one recording with the engine in force and
// stores nothing (Settings' Test button); path "" is the built-in sample,
// whose words are known.
func (v *Vault) TestTranscription(ctx context.Context, path string) (TranscriptionTest, error) {
	return v.voice.Test(ctx, v.dir, path)
}

func (v *Vault) models() *models.Manager {
	if v.opt.Neural.Models != nil {
		return v.opt.Neural.Models
	}
	return ModelManager("")
}
