package audio

import (
	"context"
	"errors"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
)

func openVAD(t *testing.T) *infer.VAD {
	t.Helper()
	rt, err := infer.Open(infer.Config{Threads: 1})
	if errors.Is(err, infer.ErrUnavailable) && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
		t.Skipf("ONNX Runtime not installed (run `make ort`): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	vad, err := rt.VAD(filepath.Join(testdata.Shared(t, "models/vad"), "silero_vad.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return vad
}

// Every sample recording decodes to 16 kHz mono of the known length.
func TestDecodeEveryFormat(t *testing.T) {
	testdata.NeedFFmpeg(t)
	dir := testdata.Shared(t, "samples/audio")
	want := map[string]float64{ // seconds, from samples/audio/TRANSCRIPTS.md
		"jfk/jfk.wav": 11.0, "jfk/jfk.mp3": 11.09, "jfk/jfk.flac": 11.0,
		"misc/trees.m4a": 6.6, "silero-vad-test/test.wav": 60.0, "silero-vad-test/test.mp3": 2.56,
	}
	seen := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || MediaType(p) == "" {
			return err
		}
		seen++
		rel, _ := filepath.Rel(dir, p)
		t.Run(rel, func(t *testing.T) {
			pcm, err := Decode(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			got := Duration(len(pcm)).Seconds()
			if w, ok := want[filepath.ToSlash(rel)]; ok && math.Abs(got-w) > 0.15 {
				t.Errorf("%.2f s, want %.2f", got, w)
			}
			var peak float32
			for _, x := range pcm {
				peak = max(peak, float32(math.Abs(float64(x))))
			}
			if peak < 0.01 || peak > 1.5 {
				t.Errorf("peak %.3f: not decoded as [-1, 1] audio", peak)
			}
		})
		return nil
	})
	if seen < len(want) {
		t.Fatalf("found %d recordings, want at least %d", seen, len(want))
	}
}

// Video containers decode to their audio track; a corrupt file and a
// missing ffmpeg are clear errors.
func TestDecodeVideoAndErrors(t *testing.T) {
	testdata.NeedFFmpeg(t)
	ctx := context.Background()
	jfk := filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.wav")
	tmp := t.TempDir()
	for _, ext := range []string{".webm", ".mp4", ".ogg", ".opus"} {
		out := filepath.Join(tmp, "memo"+ext)
		args := []string{"-nostdin", "-loglevel", "error", "-i", jfk}
		if ext == ".mp4" || ext == ".webm" {
			// A video with a picture track and the speech.
			args = []string{"-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=blue:s=64x64:d=11", "-i", jfk, "-shortest"}
		}
		if err := exec.Command("ffmpeg", append(args, out)...).Run(); err != nil {
			t.Fatalf("making %s: %v", ext, err)
		}
		pcm, err := Decode(ctx, out)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if d := Duration(len(pcm)).Seconds(); d < 10.5 || d > 11.5 {
			t.Errorf("%s: %.2f s, want 11", ext, d)
		}
	}
	bad := filepath.Join(tmp, "broken.m4a")
	os.WriteFile(bad, []byte("ftypM4A this is not audio at all"), 0o644)
	if _, err := Decode(ctx, bad); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("corrupt file: %v, want ErrUnreadable", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := Decode(ctx, jfk); !errors.Is(err, ErrNoFFmpeg) || !strings.Contains(err.Error(), "apt install ffmpeg") {
		t.Fatalf("without ffmpeg: %v", err)
	}
}

// WAV output decodes back to the same samples.
func TestWAVRoundTrip(t *testing.T) {
	testdata.NeedFFmpeg(t)
	pcm := make([]float32, Rate/2)
	for i := range pcm {
		pcm[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/Rate))
	}
	p := filepath.Join(t.TempDir(), "tone.wav")
	os.WriteFile(p, WAV(pcm), 0o644)
	back, err := Decode(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(pcm) {
		t.Fatalf("%d samples back, want %d", len(back), len(pcm))
	}
	for i := range pcm {
		if math.Abs(float64(back[i]-pcm[i])) > 1e-3 {
			t.Fatalf("sample %d: %f, want %f", i, back[i], pcm[i])
		}
	}
}

func TestSpeechAndPieces(t *testing.T) {
	ms := time.Millisecond
	// 32 ms windows (31 to the "second"): silence, speech with a 96 ms dip, silence,
	// 1 s speech, silence.
	var probs []float32
	add := func(p float32, d time.Duration) {
		for range int(d / (32 * ms)) {
			probs = append(probs, p)
		}
	}
	add(0.02, time.Second)
	add(0.9, time.Second)
	add(0.1, 96*ms)
	add(0.9, time.Second)
	add(0.02, time.Second)
	add(0.8, time.Second)
	add(0.02, 2*time.Second)
	total := Duration(len(probs) * 512)
	got := Speech(probs, 512, total, SegmentOptions{Pad: 100 * ms})
	if len(got) != 2 {
		t.Fatalf("%d stretches of speech, want 2 (the short dip is not a pause): %v", len(got), got)
	}
	near := func(a, b time.Duration) bool { return (a - b).Abs() <= 5*ms }
	if !near(got[0].Start, 892*ms) || !near(got[0].End, 3172*ms) || !near(got[1].Start, 3964*ms) || !near(got[1].End, 5156*ms) {
		t.Fatalf("spans %v", got)
	}
	// Pieces cut at pauses and never exceed the limit.
	speech := []Span{{0, 10 * time.Second}, {11 * time.Second, 25 * time.Second}, {26 * time.Second, 40 * time.Second}, {50 * time.Second, 120 * time.Second}}
	pieces := Pieces(speech, 30*time.Second)
	for _, p := range pieces {
		if p.End-p.Start > 30*time.Second {
			t.Fatalf("piece %v longer than 30 s", p)
		}
	}
	if pieces[0] != (Span{0, 25 * time.Second}) || pieces[1] != (Span{26 * time.Second, 40 * time.Second}) {
		t.Fatalf("pieces %v: want the first cut at the pause after 25 s", pieces)
	}
}

// The real Silero model finds the speech in the JFK clip and the pauses in
// Silero's own 60-s test recording.
func TestVADOnRecordings(t *testing.T) {
	testdata.NeedFFmpeg(t)
	vad := openVAD(t)
	ctx := context.Background()
	find := func(rel string) ([]Span, time.Duration) {
		pcm, err := Decode(ctx, filepath.Join(testdata.Shared(t, "samples/audio"), rel))
		if err != nil {
			t.Fatal(err)
		}
		probs, err := vad.Probabilities(ctx, pcm)
		if err != nil {
			t.Fatal(err)
		}
		total := Duration(len(pcm))
		return Speech(probs, infer.VADWindow, total, SegmentOptions{}), total
	}
	sum := func(spans []Span) (d time.Duration) {
		for _, s := range spans {
			d += s.End - s.Start
		}
		return d
	}
	jfk, _ := find("jfk/jfk.wav")
	if len(jfk) == 0 || jfk[0].Start > 1500*time.Millisecond || jfk[len(jfk)-1].End < 9*time.Second || sum(jfk) < 7*time.Second {
		t.Fatalf("jfk.wav: speech %v", jfk)
	}
	spans, total := find("silero-vad-test/test.wav")
	t.Logf("test.wav: %d stretches of speech, %.1f s of %.1f s", len(spans), sum(spans).Seconds(), total.Seconds())
	if len(spans) < 3 || sum(spans) > total-3*time.Second || sum(spans) < total/3 {
		t.Fatalf("test.wav: want several stretches of speech with pauses between: %v", spans)
	}
	for i := 1; i < len(spans); i++ {
		if spans[i].Start <= spans[i-1].End {
			t.Fatalf("stretches overlap: %v", spans)
		}
	}
}

func TestOpenAIEngine(t *testing.T) {
	testdata.NeedFFmpeg(t)
	srv, pieces := testdata.TranscriptionServer(t, testdata.JFKText, nil)
	tr := &Transcriber{Engine: &OpenAI{URL: srv.URL, APIKey: "sk-test", Model: "whisper-1"}, Language: "en"}
	got, err := tr.File(context.Background(), filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.flac"))
	if err != nil {
		t.Fatal(err)
	}
	if len(*pieces) != 1 || len(got.Segments) != 2 {
		t.Fatalf("%d pieces sent, %d segments back", len(*pieces), len(got.Segments))
	}
	joined := got.Segments[0].Text + " " + got.Segments[1].Text
	if joined != testdata.JFKText || got.Segments[1].Start < 5*time.Second || got.Segments[1].End > got.Duration {
		t.Fatalf("transcript %+v", got)
	}
	// With /v1 in the URL too; a wrong key is a permanent error, a busy
	// server a transient one.
	bad := &OpenAI{URL: srv.URL + "/v1", APIKey: "wrong"}
	if _, err := bad.Transcribe(context.Background(), make([]float32, Rate), ""); err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v", err)
	}
	code := http.StatusServiceUnavailable
	busy, _ := testdata.TranscriptionServer(t, testdata.JFKText, &code)
	if _, err := (&OpenAI{URL: busy.URL, APIKey: "sk-test"}).Transcribe(context.Background(), make([]float32, Rate), ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("503: %v, want ErrUnavailable", err)
	}
	down := &OpenAI{URL: "http://127.0.0.1:1"}
	if _, err := down.Transcribe(context.Background(), make([]float32, Rate), ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no server: %v, want ErrUnavailable", err)
	}
}

// With the VAD, a long recording is sent in pieces cut at pauses, silence
// is not sent, and segment times are placed in the whole recording.
func TestTranscriberCutsAtPauses(t *testing.T) {
	testdata.NeedFFmpeg(t)
	vad := openVAD(t)
	srv, pieces := testdata.TranscriptionServer(t, "one two three four", nil)
	tr := &Transcriber{Engine: &OpenAI{URL: srv.URL, APIKey: "sk-test"}, VAD: vad, Window: infer.VADWindow}
	got, err := tr.File(context.Background(), filepath.Join(testdata.Shared(t, "samples/audio/silero-vad-test"), "test.wav"))
	if err != nil {
		t.Fatal(err)
	}
	var sent time.Duration
	for _, p := range *pieces {
		if p > 30*time.Second+time.Millisecond {
			t.Fatalf("a piece of %s was sent; the limit is 30 s", p)
		}
		sent += p
	}
	if len(*pieces) < 2 || sent >= got.Duration {
		t.Fatalf("%d pieces, %s sent of %s: want silence skipped and the recording cut", len(*pieces), sent, got.Duration)
	}
	last := time.Duration(-1)
	for _, s := range got.Segments {
		if s.Start < last || s.End > got.Duration || s.End <= s.Start {
			t.Fatalf("segment times out of order or range: %+v", got.Segments)
		}
		last = s.Start
	}
}

// A long recording tells how far its transcription is, piece by piece,
// from nothing to all of it.
func TestTranscriberTellsProgress(t *testing.T) {
	testdata.NeedFFmpeg(t)
	srv, pieces := testdata.TranscriptionServer(t, "one two three four", nil)
	tr := &Transcriber{Engine: &OpenAI{URL: srv.URL, APIKey: "sk-test"}} // no VAD: 30-s pieces
	var seen [][2]time.Duration
	got, err := tr.FileProgress(context.Background(), filepath.Join(testdata.Shared(t, "samples/audio/memo"), "planning-memo.wav"),
		func(done, total time.Duration) { seen = append(seen, [2]time.Duration{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if len(*pieces) != 3 || len(seen) != len(*pieces)+2 {
		t.Fatalf("%d pieces, progress told %d times: %v", len(*pieces), len(seen), seen)
	}
	for i, p := range seen {
		if p[1] != got.Duration || (i > 0 && p[0] <= seen[i-1][0] && p[0] != got.Duration) {
			t.Fatalf("progress %v: want rising done of %s", seen, got.Duration)
		}
	}
	if seen[0][0] != 0 || seen[len(seen)-1][0] != got.Duration || seen[1][0] != 30*time.Second {
		t.Fatalf("progress %v", seen)
	}
}
