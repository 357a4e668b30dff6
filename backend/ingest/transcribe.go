package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/extract"
)

// ErrNoTranscriber keeps an audio file in the queue until a transcription
// engine is configured.
var ErrNoTranscriber = errors.New("waiting for a transcription engine (set one up with `hoard transcription --url URL` or `--whisper whisper-base`)")

// transcribe turns a recording into a document whose sections carry the
// times they were spoken.
func (s *Service) transcribe(ctx context.Context, path string, progress audio.Progress) (*extract.Document, error) {
	var tr *audio.Transcriber
	var why error
	if s.cfg.Transcriber != nil {
		tr, why = s.cfg.Transcriber()
	}
	if tr == nil {
		if why != nil {
			return nil, fmt.Errorf("%w; the configured one cannot run: %v", ErrNoTranscriber, why)
		}
		return nil, ErrNoTranscriber
	}
	t, err := tr.FileProgress(ctx, path, progress)
	switch {
	case errors.Is(err, audio.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", errTransient, err)
	case err != nil:
		return nil, err
	}
	doc := &extract.Document{
		Title:     strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		MediaType: audio.MediaType(path),
		Metadata: map[string]any{
			"duration_s": t.Duration.Seconds(), "speech_s": t.Speech.Seconds(),
			"engine": tr.Engine.Name(), "vad": t.VAD,
		},
	}
	if tr.Language != "" {
		doc.Metadata["language"] = tr.Language
	}
	var sb strings.Builder
	for _, seg := range t.Segments {
		if sb.Len() > 0 {
			sb.WriteString("\n")
		}
		start := sb.Len()
		sb.WriteString(seg.Text)
		doc.Sections = append(doc.Sections, extract.Section{Start: start, End: sb.Len(), From: seg.Start, To: max(seg.End, seg.Start+1),
			Speaker: seg.Speaker, Marks: segmentMarks(seg, start)})
	}
	doc.Text = sb.String()
	return doc, nil
}
