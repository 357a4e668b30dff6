package infer

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// readPCM16 reads the samples of a 16-bit mono WAV file.
func readPCM16(t *testing.T, path string) []float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 12; i+8 <= len(raw); {
		id, size := string(raw[i:i+4]), int(binary.LittleEndian.Uint32(raw[i+4:]))
		if id == "data" {
			pcm := raw[i+8 : min(len(raw), i+8+size)]
			out := make([]float32, len(pcm)/2)
			for k := range out {
				out[k] = float32(int16(binary.LittleEndian.Uint16(pcm[2*k:]))) / 32768
			}
			return out
		}
		i += 8 + size + size%2
	}
	t.Fatalf("%s: no data chunk", path)
	return nil
}

func speechShare(p []float32) float64 {
	n := 0
	for _, x := range p {
		if x >= 0.5 {
			n++
		}
	}
	return float64(n) / float64(len(p))
}

// The real Silero model: speech is found in speech, none in silence, and
// the recurrent state carries from window to window.
func TestVADFindsSpeech(t *testing.T) {
	rt := openRuntime(t)
	vad, err := rt.VAD(filepath.Join(testdata.Shared(t, "models/vad"), "silero_vad.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	jfk := readPCM16(t, filepath.Join(testdata.Shared(t, "samples/audio/jfk"), "jfk.wav"))
	p, err := vad.Probabilities(ctx, jfk)
	if err != nil {
		t.Fatal(err)
	}
	if want := (len(jfk) + VADWindow - 1) / VADWindow; len(p) != want {
		t.Fatalf("%d windows, want %d", len(p), want)
	}
	if s := speechShare(p); s < 0.5 {
		t.Errorf("jfk.wav: speech in %.0f%% of windows, want most", 100*s)
	}
	silence, err := vad.Probabilities(ctx, make([]float32, 2*VADRate))
	if err != nil {
		t.Fatal(err)
	}
	if s := speechShare(silence); s != 0 {
		t.Errorf("silence: speech in %.0f%% of windows", 100*s)
	}
	// Long audio with pauses: some windows are speech, some are not.
	long := readPCM16(t, filepath.Join(testdata.Shared(t, "samples/audio/silero-vad-test"), "test.wav"))
	pl, err := vad.Probabilities(ctx, long)
	if err != nil {
		t.Fatal(err)
	}
	if s := speechShare(pl); s < 0.2 || s > 0.97 {
		t.Errorf("test.wav: speech share %.2f, want pauses and speech", s)
	}
	// Without the carried state (each window alone) the output differs.
	differs := false
	for i := 10; i < 40 && !differs; i++ {
		one, err := vad.Probabilities(ctx, jfk[i*VADWindow:(i+1)*VADWindow])
		if err != nil {
			t.Fatal(err)
		}
		differs = one[0] != p[i]
	}
	if !differs {
		t.Error("window probabilities do not depend on the state")
	}
}
