// Package speech keeps a vault's speech-to-text: the engine settings (the
// vault's options, else what the vault stores), the pipeline built from
// them on first need, its status, and the Settings screen's test.
package speech

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/neural"
	"github.com/hoardvault/hoard/models"
)

// Options choose the speech-to-text engine.
type Options struct {
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

func (t Options) set() bool { return t.URL != "" || t.Whisper != "" }

// Key is the setting that stores the options.
const Key = "transcription"

// Settings is what speech reads and writes of the vault's settings.
type Settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Config is what a Voice is made of.
type Config struct {
	// Fixed are the vault's options: when they name an engine, they win
	// over the stored ones.
	Fixed    Options
	Settings Settings
	Models   func() *models.Manager
	ORTLib   string
	Log      *slog.Logger
	// Missing is the error when no engine is configured.
	Missing error
}

// Voice is a vault's speech-to-text.
type Voice struct {
	cfg Config
	// tr transcribes audio, built on first need; vad is the ONNX Runtime
	// its voice activity detector runs on.
	mu  sync.Mutex
	tr  *audio.Transcriber
	err error // why the configured engine cannot run
	vad *infer.Runtime
}

// New returns the speech-to-text of cfg; it builds nothing yet.
func New(cfg Config) *Voice { return &Voice{cfg: cfg} }

// Options returns the engine configuration in force: the fixed options
// when they name one, else what the vault stores.
func (s *Voice) Options(ctx context.Context) (Options, error) {
	if s.cfg.Fixed.set() {
		return s.cfg.Fixed, nil
	}
	var t Options
	raw, err := s.cfg.Settings.Setting(ctx, Key)
	if err != nil {
		return t, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return t, fmt.Errorf("stored %s settings: %w", Key, err)
		}
	}
	if t.set() || t.Off {
		return t, nil
	}
	t.Whisper = s.defaultWhisper()
	return t, nil
}

// defaultWhisper is the in-process model used when no engine is set: the
// first installed one, in a build that carries the engine. base comes
// before tiny.en: on the test memo tiny.en heard "supplier in Porto" as
// "supply room portal" and base got it right (13.7% of words wrong against
// 18.3%).
func (s *Voice) defaultWhisper() string {
	if !audio.WhisperBuilt {
		return ""
	}
	for _, name := range []string{"whisper-base", "whisper-small", "whisper-tiny.en", "whisper-tiny"} {
		if _, err := s.cfg.Models().Get(name); err == nil {
			return name
		}
	}
	return ""
}

// Set stores the engine configuration and drops the pipeline built from
// the old one.
func (s *Voice) Set(ctx context.Context, t Options) error {
	if err := CheckServerURL("transcription server", t.URL); err != nil {
		return err
	}
	if t.Whisper != "" {
		spec, ok := s.cfg.Models().Catalog.Find(t.Whisper)
		if !ok || spec.Role != models.RoleWhisper {
			return fmt.Errorf("%q is not a whisper model (whisper-tiny, whisper-base or whisper-small)", t.Whisper)
		}
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := s.cfg.Settings.SetSetting(ctx, Key, string(raw)); err != nil {
		return err
	}
	s.Close()
	return nil
}

// CheckStored refuses a stored setting Set would not have written (an
// import's).
func CheckStored(raw string) error {
	var t Options
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return fmt.Errorf("setting %s: %w", Key, err)
	}
	return CheckServerURL("transcription server", t.URL)
}

// CheckServerURL accepts "" or an http(s) URL with a host (a language
// model server's too).
func CheckServerURL(what, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an http(s) URL", what, raw)
	}
	return nil
}

// transcriber returns the configured pipeline, built on first need, or nil
// when no engine is configured or the configured one cannot run (why is
// kept in s.err, and logged once, until the settings change).
func (s *Voice) transcriber() *audio.Transcriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tr != nil || s.err != nil {
		return s.tr
	}
	cfg, err := s.Options(context.Background())
	if err != nil || !cfg.set() {
		return nil
	}
	s.tr, s.vad, s.err = neural.Transcriber(neural.Speech{URL: cfg.URL, APIKey: cfg.APIKey, Model: cfg.Model, Whisper: cfg.Whisper,
		Language: cfg.Language, Threads: cfg.Threads}, s.cfg.Models(), s.cfg.ORTLib, s.cfg.Log)
	return s.tr
}

// Close frees the engine and VAD; the next need builds them again.
func (s *Voice) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tr != nil {
		if c, ok := s.tr.Engine.(io.Closer); ok {
			c.Close()
		}
	}
	if s.vad != nil {
		s.vad.Close()
	}
	s.tr, s.vad, s.err = nil, nil, nil
}

// Pipeline is the pipeline to transcribe with, or nil and why the
// configured engine cannot run.
func (s *Voice) Pipeline() (*audio.Transcriber, error) {
	tr := s.transcriber()
	return tr, s.why()
}

func (s *Voice) why() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
