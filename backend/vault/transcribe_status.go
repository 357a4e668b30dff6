package vault

import (
	"context"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/audio"
)

// TranscriptionStatus says how voice notes are transcribed.
type TranscriptionStatus struct {
	Engine string `json:"engine,omitempty"` // "whisper.cpp", "server", or empty: none
	Model  string `json:"model,omitempty"`
	URL    string `json:"url,omitempty"`
	// Built: this hoard carries the in-process whisper.cpp engine.
	Built bool   `json:"whisper_built"`
	Note  string `json:"note,omitempty"` // why there is no engine, or why it cannot run
}

func (v *Vault) transcriptionStatus(ctx context.Context) TranscriptionStatus {
	st := TranscriptionStatus{Built: audio.WhisperBuilt}
	t, err := v.Transcription(ctx)
	switch {
	case err != nil:
		st.Note = err.Error()
	case t.Off:
		st.Note = "transcription is off: voice notes wait until an engine is set"
	case t.URL != "":
		st.Engine, st.URL, st.Model = "server", t.URL, t.Model
	case t.Whisper != "" && !st.Built:
		st.Note = "this hoard was built without the whisper.cpp engine (WHISPER=0): voice notes wait; set a transcription server, or build with make build"
	case t.Whisper != "":
		st.Engine, st.Model = "whisper.cpp", t.Whisper
	case st.Built:
		st.Note = "no whisper model installed: voice notes wait (hoard models pull whisper-base)"
	default:
		st.Note = "this hoard was built without the whisper.cpp engine (WHISPER=0): voice notes wait until a transcription server is set"
	}
	v.trMu.Lock()
	if v.trErr != nil {
		st.Note = v.trErr.Error()
	}
	v.trMu.Unlock()
	return st
}

// TranscriptionTest is what the engine in force heard in a recording.
type TranscriptionTest struct {
	Engine       string  `json:"engine"`
	Model        string  `json:"model,omitempty"`
	Text         string  `json:"text"`
	AudioSeconds float64 `json:"audio_seconds"`
	Seconds      float64 `json:"seconds"` // how long transcribing took
}

// TestTranscription transcribes one recording with the engine in force and
// stores nothing (Settings' Test button).
func (v *Vault) TestTranscription(ctx context.Context, path string) (TranscriptionTest, error) {
	var res TranscriptionTest
	tr := v.transcriber()
	if tr == nil {
		v.trMu.Lock()
		err := v.trErr
		v.trMu.Unlock()
		if err == nil {
			err = ErrNoTranscriber
		}
		return res, err
	}
	st := v.transcriptionStatus(ctx)
	res.Engine, res.Model = st.Engine, st.Model
	start := time.Now()
	t, err := tr.File(ctx, path)
	if err != nil {
		return res, err
	}
	res.Seconds, res.AudioSeconds = time.Since(start).Seconds(), t.Duration.Seconds()
	var words []string
	for _, s := range t.Segments {
		if s := strings.TrimSpace(s.Text); s != "" {
			words = append(words, s)
		}
	}
	res.Text = strings.Join(words, " ")
	return res, nil
}
