package vault

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/chunk"
	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/search"
)

// memoPhrases are searches for each sentence of planning-memo.wav, taken
// from the sentence's first words (where its start is heard) and avoiding
// names and numbers a small model mishears.
var memoPhrases = []string{
	"Monday planning notes",
	"lease on the old building",
	"ask three moving companies",
	"agreed that the budget for furniture",
	"server room needs",
	"remember to order the cooling units",
	"raised a concern about parking",
	"city offers monthly permits",
	"next topic the quarterly review",
	"slides should show revenue growth",
	"action item drafts the hiring plan",
	"last point the coffee machine",
}

// citeMemo searches each sentence's phrase and returns how far the cited
// moment is from the sentence's true start, the worst of them, in seconds.
func citeMemo(t *testing.T, v *Vault, path string, sentences []testdata.MemoSentence) float64 {
	t.Helper()
	worst := 0.0
	for k, q := range memoPhrases {
		hits := mustSearch(t, v, q)
		if len(hits) == 0 || hits[0].Path != path || hits[0].Time == nil || hits[0].Passage == nil {
			t.Errorf("sentence %d, %q: hits %+v", k+1, q, hits)
			continue
		}
		h := hits[0]
		got := float64(h.Time.StartMS) / 1000
		off := math.Abs(got - sentences[k].Start)
		worst = max(worst, off)
		t.Logf("sentence %2d cited at %6.2f s, spoken at %6.2f s (%+.2f)", k+1, got, sentences[k].Start, got-sentences[k].Start)
		if off > 1.0 {
			t.Errorf("sentence %d, %q: cited at %s (%.2f s), spoken at %.2f s; passage %s–%s",
				k+1, q, search.Clock(h.Time.StartMS), got, sentences[k].Start, search.Clock(h.Passage.StartMS), search.Clock(h.Passage.EndMS))
		}
		if h.Time.StartMS < h.Passage.StartMS || h.Time.StartMS > h.Passage.EndMS {
			t.Errorf("sentence %d: moment %d ms outside its passage %+v", k+1, h.Time.StartMS, *h.Passage)
		}
	}
	return worst
}

// A search hit on a voice note cites the moment its words are spoken: the
// engine's word times (an OpenAI-compatible server answering verbose_json
// with words) travel through the pieces, the chunks and the store to the
// hit, and survive an export and import.
func TestVoiceNoteCitesTheMoment(t *testing.T) {
	testdata.NeedFFmpeg(t)
	wav, sentences := testdata.PlanningMemo(t)
	if len(sentences) != len(memoPhrases) {
		t.Fatalf("%d sentences, %d phrases", len(sentences), len(memoPhrases))
	}
	srv := testdata.TimedTranscriptionServer(t, wav, testdata.SpreadWords(sentences))
	for _, tc := range []struct {
		name  string
		vad   bool // pieces cut at pauses; else 30-s pieces of the whole
		chunk chunk.Options
	}{
		{"whole recording", false, chunk.Options{}},
		{"pieces at pauses", true, chunk.Options{}},
		// About three sentences a passage: they must break between sentences.
		{"short passages", false, chunk.Options{TargetTokens: 40, OverlapTokens: 8, WholeTokens: 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mm := ModelManager(t.TempDir())
			if tc.vad {
				if lib, _ := infer.FindLibrary(""); lib == "" && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
					t.Skip("ONNX Runtime not installed (run `make ort`)")
				}
				if _, err := mm.Import("silero-vad", testdata.Shared(t, "models/vad")); err != nil {
					t.Fatal(err)
				}
			}
			v := openVault(t, Options{Neural: NeuralOptions{Models: mm, Embedder: "none"}, Chunk: tc.chunk,
				Transcription: TranscriptionOptions{URL: srv.URL}})
			memo := addCopy(t, v, wav)
			if tr, _ := v.voice.Pipeline(); (tr.VAD != nil) != tc.vad {
				t.Fatalf("VAD in use: %v, want %v", tr.VAD != nil, tc.vad)
			}
			t.Logf("worst moment error %.2f s", citeMemo(t, v, memo, sentences))
			if tc.chunk.TargetTokens > 0 {
				passagesStartSentences(t, v, memo, sentences)
			}

			// An export carries the word times: the copy cites alike.
			file := filepath.Join(t.TempDir(), "memo.hoard")
			if _, err := v.Export(ctx, file); err != nil {
				t.Fatal(err)
			}
			w := openVault(t, Options{Neural: NeuralOptions{Embedder: "none"}})
			if _, err := w.Import(ctx, file); err != nil {
				t.Fatal(err)
			}
			for _, q := range memoPhrases {
				a, b := mustSearch(t, v, q), mustSearch(t, w, q)
				if len(a) == 0 || len(b) == 0 || *a[0].Time != *b[0].Time || *a[0].Passage != *b[0].Passage {
					t.Fatalf("%q: cited %+v before the export, %+v after", q, a, b)
				}
			}
		})
	}
}

// passagesStartSentences checks that each passage of the memo starts where
// a sentence does (it was cut at a pause, not mid-sentence) and that there
// are several.
func passagesStartSentences(t *testing.T, v *Vault, path string, sentences []testdata.MemoSentence) {
	t.Helper()
	id, err := v.store.DocumentIDForPath(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := v.Chunks(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 3 {
		t.Fatalf("%d passages; want the memo cut into several", len(chunks))
	}
	for _, c := range chunks {
		at := -1
		for k, s := range sentences {
			if math.Abs(float64(c.Time.StartMS)/1000-s.Start) < 0.05 {
				at = k
			}
		}
		if at < 0 || len(c.Marks) == 0 || c.Marks[0].Char != 0 {
			t.Errorf("passage %d (%+v, %d marks) does not start at a sentence: %q", c.Ordinal, *c.Time, len(c.Marks), c.Text)
		}
	}
}

// addCopy copies a recording into a fresh folder and adds it, which must
// index it; it returns the copy's path.
func addCopy(t *testing.T, v *Vault, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, err := v.Add(context.Background(), []string{dst}, AddOptions{}); err != nil || sum.Indexed != 1 || len(sum.Failed) != 0 {
		t.Fatalf("add %s: %+v %v", src, sum, err)
	}
	return dst
}
