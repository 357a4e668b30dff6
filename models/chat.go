package models

import (
	"io"
	"os"
)

// IsGGUF says whether the file begins with a GGUF model's magic ("GGUF"),
// the format llama.cpp loads; a file too short to hold one is not one. It
// fails only when the file cannot be opened.
func IsGGUF(path string) (bool, error) { return hasMagic(path, "GGUF") }

// hasMagic says whether the file begins with magic.
func hasMagic(path, magic string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	got := make([]byte, len(magic))
	if _, err := io.ReadFull(f, got); err != nil {
		return false, nil
	}
	return string(got) == magic, nil
}

// SuggestChat picks the catalog's chat model for a machine with memory
// bytes: the best (the catalog lists chat models best first)
// that needs at most half of it, so the vault, the embedder and the user's
// own programs keep the rest. ok is false when none fits.
func (c Catalog) SuggestChat(memory int64) (Spec, bool) {
	for _, s := range c {
		if s.Role == RoleChat && !s.Test && s.Memory > 0 && s.Memory <= memory/2 {
			return s, true
		}
	}
	return Spec{}, false
}
