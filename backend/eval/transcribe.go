package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// TranscribeOptions configure the transcription benchmark.
type TranscribeOptions struct {
	Models  *models.Manager
	Model   string   // an installed whisper model
	Files   []string // recordings
	Threads int      // whisper.cpp threads (0: its default)
}

// TranscribeRun is one recording's figure: the whole voice-note path
// (decode, speech detection, the engine, chunking, storing) as `hoard add`
// runs it, timed from the add to the searchable document.
type TranscribeRun struct {
	File         string  `json:"file"`
	AudioSeconds float64 `json:"audio_seconds"`
	WallSeconds  float64 `json:"wall_seconds"`
	Speed        float64 `json:"speed"` // audio seconds per wall second
	Text         string  `json:"text"`
}

// Transcribe times each recording through a fresh vault.
func Transcribe(ctx context.Context, opt TranscribeOptions) ([]TranscribeRun, error) {
	var runs []TranscribeRun
	for _, file := range opt.Files {
		pcm, err := audio.Decode(ctx, file)
		if err != nil {
			return runs, err
		}
		r, err := transcribeOne(ctx, opt, file)
		if err != nil {
			return runs, fmt.Errorf("%s: %w", file, err)
		}
		r.AudioSeconds = audio.Duration(len(pcm)).Seconds()
		r.Speed = r.AudioSeconds / r.WallSeconds
		runs = append(runs, r)
	}
	return runs, nil
}

func transcribeOne(ctx context.Context, opt TranscribeOptions, file string) (TranscribeRun, error) {
	r := TranscribeRun{File: file}
	tmp, err := os.MkdirTemp("", "hoard-bench-transcribe-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "in")
	os.MkdirAll(src, 0o755)
	data, err := os.ReadFile(file)
	if err != nil {
		return r, err
	}
	copyPath := filepath.Join(src, filepath.Base(file))
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		return r, err
	}
	v, err := vault.Open(ctx, filepath.Join(tmp, "vault"), vault.Options{Neural: vault.NeuralOptions{Models: opt.Models, Embedder: "none"},
		Transcription: vault.TranscriptionOptions{Whisper: opt.Model, Threads: opt.Threads}})
	if err != nil {
		return r, err
	}
	defer v.Close()
	start := time.Now()
	sum, err := v.Add(ctx, []string{src}, vault.AddOptions{})
	if err != nil {
		return r, err
	}
	r.WallSeconds = time.Since(start).Seconds()
	if sum.Indexed != 1 {
		return r, fmt.Errorf("not transcribed: %+v", sum)
	}
	docs, _, err := v.Documents(ctx, store.ListOptions{})
	if err != nil || len(docs) != 1 {
		return r, fmt.Errorf("the transcript: %d documents, %v", len(docs), err)
	}
	chunks, err := v.Chunks(ctx, docs[0].ID)
	if err != nil {
		return r, err
	}
	for i, c := range chunks {
		if i > 0 {
			r.Text += " "
		}
		r.Text += c.Text
	}
	return r, nil
}
