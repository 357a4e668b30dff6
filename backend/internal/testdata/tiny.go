package testdata

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/models"
)

// TinyModels installs the generated tiny BERT (models/testdata) as the
// embedders "tiny" and "tiny2" and the reranker "tiny-reranker", through the
// real import path, each checked by check (the vault's model check). The
// caller makes sure ONNX Runtime is there first.
func TinyModels(t testing.TB, check func(models.Spec, string) error) *models.Manager {
	t.Helper()
	tok := filepath.Join(Shared(t, "models/tokenizers/bge-small-en-v1.5"), "tokenizer.json")
	files := []models.File{{Path: "model.onnx"}, {Path: "tokenizer.json"}}
	m := &models.Manager{Dir: t.TempDir(), Catalog: models.Catalog{
		{Name: "tiny", Role: models.RoleEmbedder, Files: files, Pooling: "cls", Normalize: true, Dims: 32, MaxLen: 128},
		{Name: "tiny2", Role: models.RoleEmbedder, Files: files, Pooling: "mean", Normalize: true, Dims: 32, MaxLen: 128},
		{Name: "tiny-reranker", Role: models.RoleReranker, Files: files, MaxLen: 128},
	}, Check: check}
	for name, onnx := range map[string]string{"tiny": "tiny-embedder.onnx", "tiny2": "tiny-embedder.onnx", "tiny-reranker": "tiny-reranker.onnx"} {
		src := t.TempDir()
		CopyFile(t, filepath.Join(Root(), "models", "testdata", onnx), filepath.Join(src, "model.onnx"))
		CopyFile(t, tok, filepath.Join(src, "tokenizer.json"))
		if _, err := m.Import(name, src); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// CopyFile copies one file.
func CopyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

// NeedORT takes err, what opening ONNX Runtime returned: when it is
// unavailable (errors.Is) the test is skipped, or fails when
// HOARD_REQUIRE_ORT=1; any other error fails it.
func NeedORT(t testing.TB, err, unavailable error) {
	t.Helper()
	if errors.Is(err, unavailable) && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
		t.Skipf("ONNX Runtime not installed (run `make ort`): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
