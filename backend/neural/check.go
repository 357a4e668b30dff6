package neural

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/models"
)

// CheckModel proves that a model folder holds the model its spec names,
// by running it: an embedder's graph, width and a probe sentence, a
// reranker's probe pair, the VAD on silence, a Whisper or chat model's
// header.
// Without ONNX Runtime an ONNX model cannot be checked here; it is checked
// again when a vault loads it.
func CheckModel(spec models.Spec, dir string) error {
	if len(spec.Files) == 0 {
		return nil
	}
	path := filepath.Join(dir, spec.Files[0].InstalledName())
	if spec.Role == models.RoleWhisper {
		return checkGGML(path)
	}
	if spec.Role == models.RoleChat {
		return checkGGUF(path)
	}
	rt, err := infer.Open(infer.Config{Threads: 1, Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, infer.ErrUnavailable) {
		return nil
	} else if err != nil {
		return err
	}
	defer rt.Close()
	ctx := context.Background()
	tok := filepath.Join(dir, "tokenizer.json")
	switch spec.Role {
	case models.RoleEmbedder:
		return rt.CheckEmbedder(ctx, embedderSpec(spec, path, tok), spec.Dims)
	case models.RoleReranker:
		return rt.CheckReranker(ctx, infer.RerankerSpec{Model: path, Tokenizer: tok, MaxLen: spec.MaxLen, DoubleSeparator: spec.DoubleSep})
	case models.RoleVAD:
		return rt.CheckVAD(ctx, path)
	}
	return nil
}

func embedderSpec(s models.Spec, model, tokenizer string) infer.EmbedderSpec {
	return infer.EmbedderSpec{Model: model, Tokenizer: tokenizer, Pooling: s.Pooling, Normalize: s.Normalize,
		QueryPrefix: s.QueryPrefix, PassagePrefix: s.PassagePrefix, MaxLen: s.MaxLen}
}

// checkGGUF reads a chat model's magic number (the runner loads it when
// first asked).
func checkGGUF(path string) error { return checkMagic(path, models.IsGGUF, "a GGUF") }

// checkGGML reads a whisper.cpp model's magic number.
func checkGGML(path string) error { return checkMagic(path, models.IsGGML, "a whisper.cpp (ggml)") }

func checkMagic(path string, is func(string) (bool, error), what string) error {
	ok, err := is(path)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s is not %s model", infer.ErrWrongModel, filepath.Base(path), what)
	}
	return nil
}

// pickModel finds the model an option names: "none" none, "" the first
// installed one of the role, else that one (err says why it is missing).
func pickModel(m *models.Manager, name, role string) (models.Installed, bool, error) {
	switch name {
	case "none":
		return models.Installed{}, false, nil
	case "":
		inst, ok := m.FirstInstalled(role)
		return inst, ok, nil
	}
	inst, err := m.Get(name)
	return inst, err == nil, err
}

// EmbedderInstalled reports whether the embedder name names (any, when it
// names none) is installed in m now.
func EmbedderInstalled(m *models.Manager, name string) bool {
	_, ok, _ := pickModel(m, name, models.RoleEmbedder)
	return ok
}
