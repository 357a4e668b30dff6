//go:build whisper

package vault

import (
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// The in-process whisper.cpp engine's token times reach the hit: each of
// the memo's sentences, searched by a phrase of it, is cited within a
// second of when it is spoken.
func TestWhisperCitesTheMoment(t *testing.T) {
	needAudioTools(t)
	wav, sentences := testdata.PlanningMemo(t)
	for _, model := range []string{"whisper-tiny.en", "whisper-base"} {
		t.Run(model, func(t *testing.T) {
			mm := ModelManager(t.TempDir())
			if _, err := mm.Import("silero-vad", testdata.Shared(t, "models/vad")); err != nil {
				t.Fatal(err)
			}
			if _, err := mm.Import(model, testdata.Model(t, model)); err != nil {
				t.Fatal(err)
			}
			v := openVault(t, Options{Neural: NeuralOptions{Models: mm, Embedder: "none"},
				Transcription: TranscriptionOptions{Whisper: model, Threads: 2}})
			memo := addCopy(t, v, wav)
			t.Logf("%s: worst moment error %.2f s", model, citeMemo(t, v, memo, sentences))
		})
	}
}
