// Package neural loads the models the vault runs: the embedder and the
// reranker search uses, the model of the vault's vectors while a switch of
// model is under way, the speech-to-text pipeline, and the checks a model
// passes before it is installed.
package neural

import (
	"context"
	"log/slog"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/models"
)

// Options choose the models a vault uses.
type Options struct {
	Models   *models.Manager // nil: the default models folder
	Embedder string          // model name; "" the first installed embedder; "none" off
	Reranker string          // model name; "" the first installed reranker; "none" off
	Forms    []string        // vector forms kept; default int8 + bit
	Device   string          // "cpu" or "cuda"
	Threads  int             // ONNX Runtime intra-op threads; 0: one per CPU
	ORTLib   string          // ONNX Runtime library path (HOARD_ORT_LIB wins)
}

// Models is what was loaded: nothing, an embedder, a reranker.
type Models struct {
	Runtime      *infer.Runtime
	Embedder     *infer.Embedder
	EmbedderName string
	Vectors      store.VectorConfig // what the embedder would write
	Reranker     *infer.Reranker
	// Serving embeds queries for the vault's vectors while they are
	// another model's than Embedder's (a switch not yet complete).
	Serving     *infer.Embedder
	ServingName string
	// Note explains, for status, why neural search is off or limited.
	Note string
}

// Load finds the configured models in m. Any problem leaves search lexical
// and is explained in the note (and the log), never fatal; without a
// Runtime nothing was loaded.
func Load(ctx context.Context, o Options, m *models.Manager, log *slog.Logger) (nn Models) {
	pick := func(name, role string) (models.Installed, bool) {
		inst, ok, err := pickModel(m, name, role)
		if err != nil {
			log.Warn("model not available", "model", name, "err", err)
			nn.Note = err.Error()
		}
		return inst, ok
	}
	emb, haveEmb := pick(o.Embedder, models.RoleEmbedder)
	rer, haveRer := pick(o.Reranker, models.RoleReranker)
	if !haveEmb && !haveRer {
		if nn.Note == "" {
			nn.Note = "no embedder installed (hoard models pull bge-small-en-v1.5)"
		}
		return nn
	}
	rt, err := infer.Open(infer.Config{LibPath: o.ORTLib, Threads: o.Threads, Device: o.Device, Logger: log})
	if err != nil {
		log.Warn("neural search is off", "err", err)
		nn.Note = err.Error()
		return nn
	}
	nn.Runtime = rt
	if haveEmb {
		s := emb.Spec
		es := embedderSpec(s, emb.Path("model.onnx"), emb.Path("tokenizer.json"))
		// A file installed by hand, or before installs were checked, may
		// be another model: say so instead of failing every search.
		e, err := rt.CheckedEmbedder(ctx, es, s.Dims)
		if err != nil {
			log.Warn("embedder failed to load", "model", s.Name, "err", err)
			nn.Note = err.Error()
		} else {
			forms := o.Forms
			if len(forms) == 0 {
				forms = []string{store.FormInt8, store.FormBit}
			}
			// The model file is the truth about its width.
			dims := s.Dims
			if d := e.Dim(); d > 0 && d != dims {
				log.Warn("embedder width differs from the catalog", "model", s.Name, "catalog", s.Dims, "model_file", d)
				dims = d
			}
			nn.Embedder, nn.EmbedderName = e, s.Name
			nn.Vectors = store.VectorConfig{Model: s.Name, Dims: dims, Forms: forms}
		}
	}
	if haveRer {
		r, err := rt.Reranker(infer.RerankerSpec{Model: rer.Path("model.onnx"), Tokenizer: rer.Path("tokenizer.json"),
			MaxLen: rer.Spec.MaxLen, DoubleSeparator: rer.Spec.DoubleSep})
		if err != nil {
			log.Warn("reranker failed to load", "model", rer.Spec.Name, "err", err)
		} else {
			nn.Reranker = r
		}
	}
	return nn
}

// Serve loads the embedder that made the vault's vectors (have), for the
// queries, when it is installed in m and fits them.
func (nn *Models) Serve(ctx context.Context, m *models.Manager, have store.VectorConfig, log *slog.Logger) bool {
	if nn.Serving != nil && nn.ServingName == have.Model {
		return true
	}
	if nn.Runtime == nil {
		return false
	}
	inst, err := m.Get(have.Model)
	if err != nil || inst.Spec.Role != models.RoleEmbedder {
		return false
	}
	es := embedderSpec(inst.Spec, inst.Path("model.onnx"), inst.Path("tokenizer.json"))
	e, err := nn.Runtime.CheckedEmbedder(ctx, es, have.Dims)
	if err != nil {
		log.Warn("the model of the vault's vectors cannot serve", "model", have.Model, "err", err)
		return false
	}
	nn.Serving, nn.ServingName = e, have.Model
	return true
}
