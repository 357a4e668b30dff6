// Package audio turns voice notes and recordings into timed transcripts:
// ffmpeg decodes any audio or video file to 16 kHz mono, a voice activity
// detector finds the speech (silence is skipped and long recordings are cut
// at pauses), and a transcription engine writes the words with their times.
package audio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Rate is the sample rate everything here works at.
const Rate = 16000

// ErrNoFFmpeg is returned when ffmpeg is not installed.
var ErrNoFFmpeg = errors.New("ffmpeg is not installed: install it (Debian/Ubuntu: sudo apt install ffmpeg) to index audio and video")

// ErrUnavailable marks an engine failure that may pass (the server is down,
// overloaded or restarting): the file is tried again later.
var ErrUnavailable = errors.New("transcription engine unavailable")

// ErrUnreadable is a file ffmpeg cannot decode.
var ErrUnreadable = errors.New("corrupt or unreadable audio")

var mediaTypes = map[string]string{
	".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac",
	".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/opus", ".flac": "audio/flac",
	".webm": "video/webm", ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".mkv": "video/x-matroska",
}

// MediaType returns the media type of an audio or video file name, or "".
func MediaType(name string) string { return mediaTypes[strings.ToLower(filepath.Ext(name))] }

// Decode runs ffmpeg to read any audio or video file as 16 kHz mono samples
// in [-1, 1].
func Decode(ctx context.Context, path string) ([]float32, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	cmd := exec.CommandContext(ctx, bin, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-i", path, "-vn", "-ac", "1", "-ar", fmt.Sprint(Rate), "-f", "f32le", "-")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%w: %s", ErrUnreadable, firstNonEmpty(msg, err.Error()))
	}
	raw := out.Bytes()
	pcm := make([]float32, len(raw)/4)
	for i := range pcm {
		pcm[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	if len(pcm) == 0 {
		return nil, fmt.Errorf("%w: no audio stream", ErrUnreadable)
	}
	return pcm, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// WAV encodes samples as a 16-bit PCM mono WAV file, the one format every
// transcription server accepts.
func WAV(pcm []float32) []byte {
	var b bytes.Buffer
	n := len(pcm) * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(Rate), uint32(Rate * 2), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(n))
	out := make([]byte, n)
	for i, x := range pcm {
		v := int16(max(-1, min(1, x)) * 32767)
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	b.Write(out)
	return b.Bytes()
}

// Span is a stretch of a recording.
type Span struct{ Start, End time.Duration }

// SegmentOptions tune how speech is found in VAD probabilities.
type SegmentOptions struct {
	Threshold  float32       // speech starts at or above (default 0.5)
	MinSpeech  time.Duration // shorter bursts are dropped (default 250 ms)
	MinSilence time.Duration // shorter pauses do not end speech (default 300 ms)
	Pad        time.Duration // kept around each stretch of speech (default 200 ms)
}

func (o *SegmentOptions) defaults() {
	if o.Threshold == 0 {
		o.Threshold = 0.5
	}
	if o.MinSpeech == 0 {
		o.MinSpeech = 250 * time.Millisecond
	}
	if o.MinSilence == 0 {
		o.MinSilence = 300 * time.Millisecond
	}
	if o.Pad == 0 {
		o.Pad = 200 * time.Millisecond
	}
}

// Speech turns per-window speech probabilities (window samples each) into
// stretches of speech. Hysteresis keeps a word's quiet tail: speech ends
// only when the probability stays under Threshold-0.15 for MinSilence.
func Speech(probs []float32, window int, total time.Duration, opt SegmentOptions) []Span {
	opt.defaults()
	step := time.Duration(window) * time.Second / Rate
	off := opt.Threshold - 0.15
	var out []Span
	in := false
	var start, lastSpeech time.Duration
	for i, p := range probs {
		t := time.Duration(i) * step
		switch {
		case p >= opt.Threshold:
			if !in {
				in, start = true, t
			}
			lastSpeech = t + step
		case in && p < off && t-lastSpeech >= opt.MinSilence:
			if lastSpeech-start >= opt.MinSpeech {
				out = append(out, Span{start, lastSpeech})
			}
			in = false
		}
	}
	if in && lastSpeech-start >= opt.MinSpeech {
		out = append(out, Span{start, lastSpeech})
	}
	// Pad, clamp, and merge what the padding joins.
	var merged []Span
	for _, s := range out {
		s.Start = max(0, s.Start-opt.Pad)
		s.End = min(total, s.End+opt.Pad)
		if n := len(merged); n > 0 && s.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, s.End)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// Pieces groups stretches of speech into pieces of at most limit (Whisper
// reads 30 s at a time), cutting only at pauses; a stretch longer than the
// limit by itself is cut at the limit.
func Pieces(speech []Span, limit time.Duration) []Span {
	var out []Span
	for _, s := range speech {
		for s.End-s.Start > limit {
			out = append(out, Span{s.Start, s.Start + limit})
			s.Start += limit
		}
		if n := len(out); n > 0 && s.End-out[n-1].Start <= limit && s.Start-out[n-1].End < 2*time.Second {
			out[n-1].End = s.End
			continue
		}
		out = append(out, s)
	}
	return out
}

func samples(d time.Duration) int { return int(d * Rate / time.Second) }

// Duration is how long n samples last.
func Duration(n int) time.Duration { return time.Duration(n) * time.Second / Rate }
