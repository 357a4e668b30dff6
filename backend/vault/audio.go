package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/neural"
	"github.com/hoardvault/hoard/models"
)

// TranscriptionOptions choose the speech-to-text engine.
type TranscriptionOptions struct {
	// URL of an OpenAI-compatible /v1/audio/transcriptions server; it wins
	// over Whisper when both are set.
	URL    string `json:"url,omitempty"`
	APIKey string `json:"api_key,omitempty"`
	Model  string `json:"model,omitempty"` // the server's model name
	// Whisper is a whisper.cpp model from the catalog (whisper-tiny,
	// whisper-base, whisper-small), run in process by a `make whisper` build.
	Whisper  string `json:"whisper,omitempty"`
	Language string `json:"language,omitempty"` // "" or "auto": detected
	Threads  int    `json:"threads,omitempty"`
	// Off: no engine, not even an installed whisper model (voice notes wait).
	Off bool `json:"off,omitempty"`
}

func (t TranscriptionOptions) set() bool { return t.URL != "" || t.Whisper != "" }

const transcriptionKey = "transcription"

// Transcription returns the engine configuration in force: the vault's
// options when they name one, else what the vault stores.
func (v *Vault) Transcription(ctx context.Context) (TranscriptionOptions, error) {
	if v.opt.Transcription.set() {
		return v.opt.Transcription, nil
	}
	var t TranscriptionOptions
	if err := v.jsonSetting(ctx, transcriptionKey, &t); err != nil || t.set() || t.Off {
		return t, err
	}
	t.Whisper = v.defaultWhisper()
	return t, nil
}

// defaultWhisper is the in-process model used when no engine is set: the
// first installed one, in a build that carries the engine. base comes
// before tiny.en: on the test memo tiny.en heard "supplier in Porto" as
// "supply room portal" and base got it right (13.7% of words wrong against
// 18.3%).
func (v *Vault) defaultWhisper() string {
	if !audio.WhisperBuilt {
		return ""
	}
	for _, name := range []string{"whisper-base", "whisper-small", "whisper-tiny.en", "whisper-tiny"} {
		if _, err := v.models().Get(name); err == nil {
			return name
		}
	}
	return ""
}

// SetTranscription stores the engine configuration and makes audio files
// that were waiting for one pending again.
func (v *Vault) SetTranscription(ctx context.Context, t TranscriptionOptions) error {
	if err := checkServerURL("transcription server", t.URL); err != nil {
		return err
	}
	if t.Whisper != "" {
		spec, ok := v.models().Catalog.Find(t.Whisper)
		if !ok || spec.Role != models.RoleWhisper {
			return fmt.Errorf("%q is not a whisper model (whisper-tiny, whisper-base or whisper-small)", t.Whisper)
		}
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := v.store.SetSetting(ctx, transcriptionKey, string(raw)); err != nil {
		return err
	}
	v.trMu.Lock()
	v.closeTranscriber()
	v.trMu.Unlock()
	if _, err := v.store.Release(ctx); err != nil {
		return err
	}
	v.kickWatch() // a running watch works the released files now
	return nil
}

func (v *Vault) models() *models.Manager {
	if v.opt.Neural.Models != nil {
		return v.opt.Neural.Models
	}
	return ModelManager("")
}

// transcriber returns the configured pipeline, built on first need, or nil
// when no engine is configured or the configured one cannot run (why is
// kept in v.trErr, and logged once, until the settings change).
func (v *Vault) transcriber() *audio.Transcriber {
	v.trMu.Lock()
	defer v.trMu.Unlock()
	if v.tr != nil || v.trErr != nil {
		return v.tr
	}
	ctx := context.Background()
	cfg, err := v.Transcription(ctx)
	if err != nil || !cfg.set() {
		return nil
	}
	v.tr, v.vadRT, v.trErr = neural.Transcriber(neural.Speech{URL: cfg.URL, APIKey: cfg.APIKey, Model: cfg.Model, Whisper: cfg.Whisper,
		Language: cfg.Language, Threads: cfg.Threads}, v.models(), v.opt.Neural.ORTLib, v.log)
	return v.tr
}

// closeTranscriber frees the engine and VAD; v.trMu is held.
func (v *Vault) closeTranscriber() {
	if v.tr != nil {
		if c, ok := v.tr.Engine.(io.Closer); ok {
			c.Close()
		}
	}
	if v.vadRT != nil {
		v.vadRT.Close()
	}
	v.tr, v.vadRT, v.trErr = nil, nil, nil
}

// transcription is the pipeline ingestion transcribes with, or nil and why
// the configured engine cannot run.
func (v *Vault) transcription() (*audio.Transcriber, error) {
	tr := v.transcriber()
	v.trMu.Lock()
	defer v.trMu.Unlock()
	return tr, v.trErr
}
