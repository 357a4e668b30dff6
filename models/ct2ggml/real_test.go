package ct2ggml

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir finds the shared Whisper assets (mel_filters.npz and the
// tiktoken files): HOARD_SHARED, else the shared/ folder beside the checkout.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOARD_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "models", "whisper")
	if _, err := os.Stat(filepath.Join(dir, "mel_filters.npz")); err != nil {
		missing(t, "HOARD_REQUIRE_SHARED", "shared Whisper assets not found (set HOARD_SHARED): "+err.Error())
	}
	return dir
}

func missing(t *testing.T, require, msg string) {
	t.Helper()
	if os.Getenv(require) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestConvertReal converts real models. Inputs come from HOARD_CT2_DIR, by
// default the checkout's .cache/ct2, where `make models` leaves the
// CTranslate2 folders it takes from PyPI (whisper-tiny.en/, whisper-base/),
// and the shared Whisper assets; both are too large to ship with the
// repository. Set HOARD_CT2_OUT to a folder to keep the converted files
// (ggml-<name>.bin).
func TestConvertReal(t *testing.T) {
	shared := sharedDir(t)
	root := os.Getenv("HOARD_CT2_DIR")
	if root == "" {
		root = filepath.Join("..", "..", ".cache", "ct2")
	}
	assets := Assets{MelFilters: filepath.Join(shared, "mel_filters.npz"), Vocab: shared}
	realModels := []struct {
		name      string
		size      int64
		sha256    string
		nVocab    int32
		layers    int32
		state     int32
		heads     int32
		numTokens int32
	}{
		{"tiny.en", 77704698, "49b35c0f0fa5e8fe48396546d4c3308e7cc3e8a50589273a99710c76fd373fdf", 51864, 4, 384, 6, 50256},
		{"base", 147951465, "c0db470711f9496ec80feedb59b0916f10a0c301218e7254a61e7d3d1890dc6d", 51865, 6, 512, 8, 50257},
	}
	for _, tc := range realModels {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, "whisper-"+tc.name)
			if _, err := os.Stat(filepath.Join(dir, "model.bin")); err != nil {
				missing(t, "HOARD_REQUIRE_MODELS", "no CTranslate2 model (make models MODELS=whisper-"+tc.name+", or set HOARD_CT2_DIR): "+err.Error())
			}
			h := sha256.New()
			var w io.Writer = h
			if out := os.Getenv("HOARD_CT2_OUT"); out != "" {
				f, err := os.Create(filepath.Join(out, "ggml-"+tc.name+".bin"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				w = io.MultiWriter(h, f)
			}
			cw := &countWriter{w: w}
			if err := Convert(context.Background(), dir, assets, cw); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d bytes sha256 %s", tc.name, cw.n, hex.EncodeToString(h.Sum(nil)))
			if cw.n != tc.size {
				t.Errorf("size %d, want %d", cw.n, tc.size)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != tc.sha256 {
				t.Errorf("sha256 %s, want %s", got, tc.sha256)
			}
			// Header: magic, 11 hparams, mel dims; then the token count.
			var hdr [14]int32
			for i := range hdr {
				hdr[i] = int32(binary.LittleEndian.Uint32(cw.prefix[4*i:]))
			}
			nTok := int32(binary.LittleEndian.Uint32(cw.prefix[4*len(hdr)+4*80*201:]))
			want := [14]int32{ggmlMagic, tc.nVocab, 1500, tc.state, tc.heads, tc.layers,
				448, tc.state, tc.heads, tc.layers, 80, 1, 80, 201}
			if hdr != want || nTok != tc.numTokens {
				t.Errorf("header %v tokens %d, want %v tokens %d", hdr, nTok, want, tc.numTokens)
			}
		})
	}
}

type countWriter struct {
	w      io.Writer
	n      int64
	prefix []byte
}

func (c *countWriter) Write(p []byte) (int, error) {
	if len(c.prefix) < 1<<16 {
		c.prefix = append(c.prefix, p[:min(len(p), 1<<16-len(c.prefix))]...)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
