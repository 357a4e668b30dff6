package speech

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/audio"
)

// Status says how voice notes are transcribed.
type Status struct {
	Engine string `json:"engine,omitempty"` // "whisper.cpp", "server", or empty: none
	Model  string `json:"model,omitempty"`
	URL    string `json:"url,omitempty"`
	// Built: this hoard carries the in-process whisper.cpp engine.
	Built bool   `json:"whisper_built"`
	Note  string `json:"note,omitempty"` // why there is no engine, or why it cannot run
}

// Status reports the engine in force; it builds nothing.
func (s *Voice) Status(ctx context.Context) Status {
	st := Status{Built: audio.WhisperBuilt}
	t, err := s.Options(ctx)
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
	if err := s.why(); err != nil {
		st.Note = err.Error()
	}
	return st
}

// Result is what the engine in force heard in a recording.
type Result struct {
	Engine       string  `json:"engine"`
	Model        string  `json:"model,omitempty"`
	Text         string  `json:"text"`
	AudioSeconds float64 `json:"audio_seconds"`
	Seconds      float64 `json:"seconds"` // how long transcribing took
	// For the built-in sample: what it says, and the share of its words
	// heard wrong (after normalization).
	Expected string   `json:"expected,omitempty"`
	WER      *float64 `json:"wer,omitempty"`
}

// Test transcribes one recording with the engine in force and stores
// nothing (Settings' Test button); path "" is the built-in sample, whose
// words are known, written for the while to a folder in dir.
func (s *Voice) Test(ctx context.Context, dir, path string) (Result, error) {
	var res Result
	if path == "" {
		data, name := audio.Sample()
		tmp, err := os.MkdirTemp(dir, ".sample-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		path = filepath.Join(tmp, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return res, err
		}
		res.Expected = audio.SampleText
	}
	tr, err := s.Pipeline()
	if tr == nil {
		if err == nil {
			err = s.cfg.Missing
		}
		return res, err
	}
	st := s.Status(ctx)
	res.Engine, res.Model = st.Engine, st.Model
	start := time.Now()
	t, err := tr.File(ctx, path)
	if err != nil {
		return res, err
	}
	res.Seconds, res.AudioSeconds = time.Since(start).Seconds(), t.Duration.Seconds()
	var words []string
	for _, seg := range t.Segments {
		if seg := strings.TrimSpace(seg.Text); seg != "" {
			words = append(words, seg)
		}
	}
	res.Text = strings.Join(words, " ")
	if res.Expected != "" {
		wer := audio.WER(res.Expected, res.Text)
		res.WER = &wer
	}
	return res, nil
}
