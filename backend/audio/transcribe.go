package audio

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Segment is a stretch of transcript with its times in the recording.
type Segment struct {
	Start, End time.Duration
	Text       string
	// Words are the segment's words with their own times, when the engine
	// gives them: a citation can then point at the moment a word is spoken
	// rather than at the start of its segment.
	Words []Word
	// Speaker names who speaks, when the engine tells speakers apart; a
	// change of speaker is where a passage should end.
	Speaker string
}

// Word is one spoken word (with its punctuation) and when it is spoken.
type Word struct {
	Start, End time.Duration
	Text       string
}

// Engine writes the words of a piece of 16 kHz mono speech (at most 30 s).
// language is a code such as "en", or "" to let the engine detect it.
type Engine interface {
	Transcribe(ctx context.Context, pcm []float32, language string) ([]Segment, error)
	Name() string
}

// SpeechFinder gives the speech probability of each window of samples (the
// Silero VAD model does).
type SpeechFinder interface {
	Probabilities(ctx context.Context, samples []float32) ([]float32, error)
}

// Transcriber runs decode → speech detection → engine.
type Transcriber struct {
	Engine   Engine
	VAD      SpeechFinder // nil: the whole recording, in 30-s pieces
	Window   int          // samples per VAD probability (Silero: 512)
	Language string       // "" or "auto": detected
	Segment  SegmentOptions
	Piece    time.Duration // default 30 s
}

// Transcript is what a recording said.
type Transcript struct {
	Duration time.Duration
	Speech   time.Duration // how much of it is speech
	Segments []Segment
	VAD      bool
}

// Progress hears how far a recording's transcription is: done of total.
type Progress func(done, total time.Duration)

// File transcribes an audio or video file.
func (t *Transcriber) File(ctx context.Context, path string) (Transcript, error) {
	return t.FileProgress(ctx, path, nil)
}

// FileProgress is File, telling progress (when not nil) after each piece.
func (t *Transcriber) FileProgress(ctx context.Context, path string, progress Progress) (Transcript, error) {
	pcm, err := Decode(ctx, path)
	if err != nil {
		return Transcript{}, err
	}
	return t.SamplesProgress(ctx, pcm, progress)
}

// Samples transcribes 16 kHz mono samples.
func (t *Transcriber) Samples(ctx context.Context, pcm []float32) (Transcript, error) {
	return t.SamplesProgress(ctx, pcm, nil)
}

// SamplesProgress is Samples, telling progress (when not nil) after each
// piece: a long recording shows how much of it is done.
func (t *Transcriber) SamplesProgress(ctx context.Context, pcm []float32, progress Progress) (Transcript, error) {
	total := Duration(len(pcm))
	tr := Transcript{Duration: total}
	if progress == nil {
		progress = func(time.Duration, time.Duration) {}
	}
	progress(0, total)
	speech := []Span{{0, total}}
	if t.VAD != nil {
		probs, err := t.VAD.Probabilities(ctx, pcm)
		if err != nil {
			return tr, fmt.Errorf("finding speech: %w", err)
		}
		window := t.Window
		if window <= 0 {
			window = 512
		}
		speech = Speech(probs, window, total, t.Segment)
		tr.VAD = true
	}
	for _, s := range speech {
		tr.Speech += s.End - s.Start
	}
	piece := t.Piece
	if piece <= 0 {
		piece = 30 * time.Second
	}
	lang := t.Language
	if lang == "auto" {
		lang = ""
	}
	for _, p := range Pieces(speech, piece) {
		lo, hi := samples(p.Start), min(len(pcm), samples(p.End))
		if hi-lo < Rate/10 {
			continue
		}
		segs, err := t.Engine.Transcribe(ctx, pcm[lo:hi], lang)
		if err != nil {
			return tr, fmt.Errorf("%s: %w", t.Engine.Name(), err)
		}
		for _, s := range segs {
			text := strings.TrimSpace(s.Text)
			if text == "" || isNonSpeech(text) {
				continue
			}
			start, end := p.Start+max(0, s.Start), p.Start+s.End
			if s.End <= s.Start {
				end = p.End
			}
			tr.Segments = append(tr.Segments, Segment{Start: start, End: min(end, p.End), Text: text,
				Words: placeWords(s.Words, p), Speaker: s.Speaker})
		}
		progress(p.End, total)
	}
	progress(total, total)
	return tr, nil
}

// placeWords moves a piece's word times into the whole recording, keeps
// them inside the piece and in order (an engine's word times may stray
// a little past its audio).
func placeWords(words []Word, p Span) []Word {
	var out []Word
	last := p.Start
	for _, w := range words {
		text := strings.TrimSpace(w.Text)
		if text == "" {
			continue
		}
		start := min(max(p.Start+w.Start, last), p.End)
		end := min(max(p.Start+w.End, start), p.End)
		out = append(out, Word{Start: start, End: end, Text: text})
		last = start
	}
	return out
}

// isNonSpeech spots what Whisper writes for silence and noise: "[BLANK_AUDIO]",
// "(music)", "♪".
func isNonSpeech(s string) bool {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"),
		strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")"),
		strings.Trim(s, "♪ .") == "":
		return true
	}
	return false
}
