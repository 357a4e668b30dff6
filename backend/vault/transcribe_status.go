package vault

import (
	"context"

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
