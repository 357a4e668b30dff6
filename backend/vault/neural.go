package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"time"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/models"
)

// NeuralOptions choose the models a vault uses.
type NeuralOptions struct {
	Models   *models.Manager // nil: the default models folder
	Embedder string          // model name; "" the first installed embedder; "none" off
	Reranker string          // model name; "" the first installed reranker; "none" off
	Forms    []string        // vector forms kept; default int8 + bit
	Device   string          // "cpu" or "cuda"
	Threads  int             // ONNX Runtime intra-op threads; 0: one per CPU
	ORTLib   string          // ONNX Runtime library path (HOARD_ORT_LIB wins)
}

// neural is what the vault loaded: nothing, an embedder, a reranker.
type neural struct {
	rt       *infer.Runtime
	embedder *infer.Embedder
	embName  string
	vectors  store.VectorConfig // what the embedder would write
	reranker *infer.Reranker
	// serving embeds queries for the vault's vectors while they are
	// another model's than embedder's (a switch not yet complete).
	serving     *infer.Embedder
	servingName string
	// note explains, for status, why neural search is off or limited.
	note string
}

// ModelManager returns the model manager for a folder ("" the default). It
// checks every model it installs (CheckModel).
func ModelManager(dir string) *models.Manager {
	if dir == "" {
		dir = models.DefaultDir()
	}
	m := models.NewManager(dir)
	m.Check = CheckModel
	return m
}

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

// loadNeural finds the configured models. Any problem leaves search lexical
// and is explained in the note (and the log), never fatal.
func (v *Vault) loadNeural(ctx context.Context) {
	o := v.opt.Neural
	m := v.models()
	pick := func(name, role string) (models.Installed, bool) {
		inst, ok, err := pickModel(m, name, role)
		if err != nil {
			v.log.Warn("model not available", "model", name, "err", err)
			v.nn.note = err.Error()
		}
		return inst, ok
	}
	emb, haveEmb := pick(o.Embedder, models.RoleEmbedder)
	rer, haveRer := pick(o.Reranker, models.RoleReranker)
	if !haveEmb && !haveRer {
		if v.nn.note == "" {
			v.nn.note = "no embedder installed (hoard models pull bge-small-en-v1.5)"
		}
		return
	}
	rt, err := infer.Open(infer.Config{LibPath: o.ORTLib, Threads: o.Threads, Device: o.Device, Logger: v.log})
	if err != nil {
		v.log.Warn("neural search is off", "err", err)
		v.nn.note = err.Error()
		return
	}
	v.nn.rt = rt
	if haveEmb {
		s := emb.Spec
		es := embedderSpec(s, emb.Path("model.onnx"), emb.Path("tokenizer.json"))
		// A file installed by hand, or before installs were checked, may
		// be another model: say so instead of failing every search.
		e, err := rt.CheckedEmbedder(ctx, es, s.Dims)
		if err != nil {
			v.log.Warn("embedder failed to load", "model", s.Name, "err", err)
			v.nn.note = err.Error()
		} else {
			forms := o.Forms
			if len(forms) == 0 {
				forms = []string{store.FormInt8, store.FormBit}
			}
			// The model file is the truth about its width.
			dims := s.Dims
			if d := e.Dim(); d > 0 && d != dims {
				v.log.Warn("embedder width differs from the catalog", "model", s.Name, "catalog", s.Dims, "model_file", d)
				dims = d
			}
			v.nn.embedder, v.nn.embName = e, s.Name
			v.nn.vectors = store.VectorConfig{Model: s.Name, Dims: dims, Forms: forms}
		}
	}
	if haveRer {
		r, err := rt.Reranker(infer.RerankerSpec{Model: rer.Path("model.onnx"), Tokenizer: rer.Path("tokenizer.json"),
			MaxLen: rer.Spec.MaxLen, DoubleSeparator: rer.Spec.DoubleSep})
		if err != nil {
			v.log.Warn("reranker failed to load", "model", rer.Spec.Name, "err", err)
		} else {
			v.nn.reranker = r
		}
	}
	v.applyNeural(ctx)
}

// applyNeural puts the loaded models into the search pipeline: the dense
// list only when the vault's vectors were made by this embedder.
func (v *Vault) applyNeural(ctx context.Context) {
	opt := v.search().Options()
	opt.Dense = nil
	if v.nn.embedder != nil {
		have, ok, err := v.store.Vectors(ctx)
		switch {
		case err != nil:
			v.log.Warn("vector settings", "err", err)
		case ok && (have.Model != v.nn.vectors.Model || have.Dims != v.nn.vectors.Dims):
			// The old model's vectors keep serving, with the old model
			// embedding the queries, until the new ones are complete.
			if v.loadServing(ctx, have) {
				opt.Dense = &search.Dense{Embedder: v.nn.serving, Vectors: have, Index: v.bin}
				v.nn.note = fmt.Sprintf("the vault's vectors are %s's and serve until `hoard reindex --vectors` has made %s's", have.Model, v.nn.embName)
				v.log.Info(v.nn.note)
			} else {
				v.nn.note = fmt.Sprintf("the vault's vectors were made with %s (not installed); run `hoard reindex --vectors` to use %s", have.Model, v.nn.embName)
				v.log.Warn(v.nn.note)
			}
		case ok:
			v.nn.vectors = have
			opt.Dense = &search.Dense{Embedder: v.nn.embedder, Vectors: have, Index: v.bin}
		}
	}
	if v.nn.reranker != nil {
		opt.Reranker = v.nn.reranker
	}
	next := search.NewWithOptions(v.store.SearchView(), opt)
	v.mu.Lock()
	v.searcher = next
	v.mu.Unlock()
}

// loadServing loads the embedder that made the vault's vectors, for the
// queries, when it is installed and fits them.
func (v *Vault) loadServing(ctx context.Context, have store.VectorConfig) bool {
	if v.nn.serving != nil && v.nn.servingName == have.Model {
		return true
	}
	if v.nn.rt == nil {
		return false
	}
	inst, err := v.models().Get(have.Model)
	if err != nil || inst.Spec.Role != models.RoleEmbedder {
		return false
	}
	es := embedderSpec(inst.Spec, inst.Path("model.onnx"), inst.Path("tokenizer.json"))
	e, err := v.nn.rt.CheckedEmbedder(ctx, es, have.Dims)
	if err != nil {
		v.log.Warn("the model of the vault's vectors cannot serve", "model", have.Model, "err", err)
		return false
	}
	v.nn.serving, v.nn.servingName = e, have.Model
	return true
}

// WarmVectors reads the vector index into memory ahead of the first
// search, when search uses it. A server or window calls it at start: a
// vault of a million passages takes seconds to read.
func (v *Vault) WarmVectors(ctx context.Context) {
	v.neuralReady(ctx)
	d := v.search().Options().Dense
	if d == nil || d.Index == nil || d.Vectors.KNNForm() != store.FormBit {
		return
	}
	start := time.Now()
	if err := d.Index.Load(ctx); err != nil {
		v.log.Warn("vector index", "err", err)
		return
	}
	v.log.Info("vector index loaded", "vectors", d.Index.Len(), "bytes", d.Index.Bytes(), "took", time.Since(start).Round(time.Millisecond))
}

// AdoptModels takes up an embedder installed after the vault loaded its
// models (a download from Settings) without a restart: when the vault had
// none, the new one is loaded and the vault's chunks get their vectors in
// the background, for as long as ctx lasts (the counts show in
// VectorCounts; search turns hybrid when they are done). It reports whether
// an embedder was taken up.
//
// With an embedder already in use whose vectors the vault does not have
// yet (a switch of model, perhaps interrupted), it makes them in the
// background instead, the old ones serving meanwhile.
func (v *Vault) AdoptModels(ctx context.Context) bool {
	v.neuralReady(ctx)
	v.drainMu.Lock() // nothing embeds while the models change
	if v.nn.embedder != nil {
		have, ok, err := v.store.Vectors(ctx)
		if err != nil || !ok || have.Model == v.nn.vectors.Model {
			v.drainMu.Unlock()
			return false
		}
		go v.reindexHeld(ctx)
		return true
	}
	if !v.embedderInstalled() {
		v.drainMu.Unlock()
		return false
	}
	if v.nn.rt != nil {
		v.retired = append(v.retired, v.nn.rt)
	}
	v.nn = neural{}
	v.loadNeural(ctx)
	if v.nn.embedder == nil {
		v.drainMu.Unlock()
		return false
	}
	v.log.Info("embedder taken up", "model", v.nn.embName)
	go v.reindexHeld(ctx)
	return true
}

// reindexHeld makes the vectors with drainMu held by its caller, and
// releases it.
func (v *Vault) reindexHeld(ctx context.Context) {
	defer v.drainMu.Unlock()
	if _, err := v.Reindex(ctx, ReindexOptions{Vectors: true}); err != nil && ctx.Err() == nil {
		v.log.Warn("vectors incomplete (run `hoard reindex --vectors`)", "err", err)
	}
}

// VectorRecall measures the vector index against exact search over the
// float vectors (kept when the forms include float): for each query, the
// share of the exact top k the index returns, averaged.
func (v *Vault) VectorRecall(ctx context.Context, queries []string, k int) (float64, error) {
	v.neuralReady(ctx)
	d := v.search().Options().Dense
	if d == nil || !d.Vectors.Has(store.FormFloat) {
		return 0, errors.New("vector recall needs an embedder and vectors kept as float")
	}
	var ids []int64
	var vecs []float32
	err := v.store.EachVector(ctx, -1, func(sv store.StoredVector) {
		if len(sv.F32) == 4*d.Vectors.Dims {
			ids, vecs = append(ids, sv.ID), append(vecs, store.Float32s(sv.F32)...)
		}
	})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errors.New("no float vectors stored")
	}
	dims := d.Vectors.Dims
	var sum float64
	for _, q := range queries {
		qv, err := d.Embedder.EmbedQuery(ctx, q)
		if err != nil {
			return 0, err
		}
		exact := make([]int, len(ids))
		score := make([]float32, len(ids))
		for i := range ids {
			exact[i] = i
			var dot float32
			for j, x := range vecs[i*dims : (i+1)*dims] {
				dot += x * qv[j]
			}
			score[i] = dot
		}
		sort.Slice(exact, func(a, b int) bool { return score[exact[a]] > score[exact[b]] })
		want := map[int64]bool{}
		for _, i := range exact[:min(k, len(exact))] {
			want[ids[i]] = true
		}
		got, err := v.search().DenseList(ctx, qv, k)
		if err != nil {
			return 0, err
		}
		hit := 0
		for _, id := range got {
			if want[id] {
				hit++
			}
		}
		sum += float64(hit) / float64(len(want))
	}
	return sum / float64(len(queries)), nil
}

// embedderInstalled reports whether the embedder the options name (or any,
// when they name none) is installed now.
func (v *Vault) embedderInstalled() bool {
	_, ok, _ := pickModel(v.models(), v.opt.Neural.Embedder, models.RoleEmbedder)
	return ok
}

// embedding reports whether new chunks get vectors.
func (v *Vault) embedding(ctx context.Context) bool {
	v.neuralReady(ctx)
	if v.nn.embedder == nil {
		return false
	}
	have, ok, err := v.store.Vectors(ctx)
	return err == nil && (!ok || have.Model == v.nn.vectors.Model && have.Dims == v.nn.vectors.Dims)
}

// EmbedProgress reports vector indexing.
type EmbedProgress struct {
	Done, Total int
}

// embedBatch is how many chunks are embedded and written together: one
// transaction each, so an interruption loses at most one batch of work.
const embedBatch = 64

// embedPending gives every chunk without a vector one. It is resumable by
// construction: what has no vector is what is left to do.
func (v *Vault) embedPending(ctx context.Context, progress func(EmbedProgress)) (int, error) {
	if v.nn.embedder == nil {
		return 0, errors.New("no embedder installed (hoard models pull bge-small-en-v1.5)")
	}
	if err := v.store.EnsureVectors(ctx, v.nn.vectors); err != nil {
		return 0, err
	}
	_, total, err := v.store.VectorCounts(ctx)
	if err != nil {
		return 0, err
	}
	done, err := v.embedAll(ctx, v.store.PendingChunks, func(ids []int64, vecs [][]float32) error {
		return v.store.PutVectors(ctx, v.nn.vectors, ids, vecs)
	}, total, progress)
	if err != nil {
		return done, err
	}
	v.bin.Refresh()
	v.applyNeural(ctx)
	return done, nil
}

// embedAll embeds the chunks pending pages through, embedBatch at a time,
// storing each batch with put: an interruption loses one batch at most.
func (v *Vault) embedAll(ctx context.Context, pending func(ctx context.Context, after int64, limit int) ([]store.PendingChunk, error),
	put func(ids []int64, vecs [][]float32) error, total int, progress func(EmbedProgress)) (int, error) {
	done := 0
	var after int64
	for {
		batch, err := pending(ctx, after, embedBatch)
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			return done, nil
		}
		ids := make([]int64, len(batch))
		texts := make([]string, len(batch))
		for i, p := range batch {
			ids[i], texts[i] = p.ID, passageText(p)
		}
		vecs, err := v.nn.embedder.EmbedPassages(ctx, texts)
		if err != nil {
			return done, fmt.Errorf("embed: %w", err)
		}
		if err := put(ids, vecs); err != nil {
			return done, err
		}
		done += len(batch)
		after = ids[len(ids)-1]
		if progress != nil {
			progress(EmbedProgress{Done: done, Total: total})
		}
	}
}

// passageText is what a chunk's vector represents: its document title and
// heading give the passage its context.
func passageText(p store.PendingChunk) string {
	head := p.Title
	if p.Heading != "" && p.Heading != p.Title {
		head += " — " + p.Heading
	}
	if head == "" {
		return p.Text
	}
	return head + "\n" + p.Text
}

// ReindexOptions tune Reindex.
type ReindexOptions struct {
	Vectors  bool // (re)build vectors with the current embedder
	Progress func(EmbedProgress)
}

// Reindex rebuilds derived data. With Vectors it embeds every chunk that
// has no vector; when the vault's vectors come from another model they are
// dropped first. Interrupted, it resumes where it stopped.
func (v *Vault) Reindex(ctx context.Context, opt ReindexOptions) (int, error) {
	if !opt.Vectors {
		return 0, nil
	}
	v.neuralReady(ctx)
	if v.nn.embedder == nil {
		if v.nn.note != "" {
			return 0, errors.New(v.nn.note)
		}
		return 0, errors.New("no embedder installed (hoard models pull bge-small-en-v1.5)")
	}
	if err := v.store.EnsureVectors(ctx, v.nn.vectors); errors.Is(err, store.ErrVectorsDiffer) {
		return v.switchVectors(ctx, opt.Progress)
	} else if err != nil {
		return 0, err
	}
	if err := v.store.CancelVectorSwitch(ctx); err != nil { // a switch back to the vault's own model
		return 0, err
	}
	return v.embedPending(ctx, opt.Progress)
}

// switchVectors moves the vault to the current embedder's vectors without a
// gap in service: they are made beside the old ones (which keep serving),
// resumably, and replace them in one transaction once complete.
func (v *Vault) switchVectors(ctx context.Context, progress func(EmbedProgress)) (int, error) {
	v.log.Info("making new vectors beside the old ones", "model", v.nn.vectors.Model)
	if err := v.store.BeginVectorSwitch(ctx, v.nn.vectors); err != nil {
		return 0, err
	}
	_, total, err := v.store.NextCounts(ctx)
	if err != nil {
		return 0, err
	}
	done, err := v.embedAll(ctx, v.store.PendingNextChunks, func(ids []int64, vecs [][]float32) error {
		return v.store.PutNextVectors(ctx, ids, vecs)
	}, total, progress)
	if err != nil {
		return done, err
	}
	// Chunks added meanwhile are embedded too; what is left is new.
	if _, pending, err := v.store.NextCounts(ctx); err != nil {
		return done, err
	} else if pending > 0 {
		n, err := v.switchVectors(ctx, progress)
		return done + n, err
	}
	if _, err := v.store.FinishVectorSwitch(ctx); err != nil {
		return done, err
	}
	v.bin.Invalidate()
	v.nn.serving, v.nn.servingName, v.nn.note = nil, "", ""
	v.applyNeural(ctx)
	v.log.Info("the vault's vectors are the new model's", "model", v.nn.vectors.Model)
	return done, nil
}

// NeuralStatus says which models the vault uses.
type NeuralStatus struct {
	Embedder     string   `json:"embedder,omitempty"`
	Reranker     bool     `json:"reranker"`
	Device       string   `json:"device,omitempty"`
	Runtime      string   `json:"onnxruntime,omitempty"`
	VectorModel  string   `json:"vector_model,omitempty"`
	VectorForms  []string `json:"vector_forms,omitempty"`
	Dims         int      `json:"dims,omitempty"`
	Embedded     int      `json:"embedded_chunks"`
	Pending      int      `json:"pending_chunks"`
	VectorBytes  int      `json:"vector_bytes_per_chunk"`
	HybridActive bool     `json:"hybrid"`
	TextBytes    float64  `json:"text_bytes_per_chunk"`
	IndexBytes   float64  `json:"index_bytes_per_chunk"`
	Note         string   `json:"note,omitempty"`
	// SwitchTo is the model whose vectors are being made beside the
	// vault's (which serve until then), with its progress.
	SwitchTo      string `json:"switch_to,omitempty"`
	SwitchDone    int    `json:"switch_done,omitempty"`
	SwitchPending int    `json:"switch_pending,omitempty"`
}

func (v *Vault) neuralStatus(ctx context.Context) (NeuralStatus, error) {
	ns := NeuralStatus{Embedder: v.nn.embName, Reranker: v.nn.reranker != nil, Note: v.nn.note}
	if v.nn.rt != nil {
		ns.Runtime = v.nn.rt.Version()
	}
	if v.nn.embedder != nil {
		ns.Device = v.nn.embedder.Device()
	}
	cfg, ok, err := v.store.Vectors(ctx)
	if err != nil {
		return ns, err
	}
	if ok {
		ns.VectorModel, ns.VectorForms, ns.Dims, ns.VectorBytes = cfg.Model, cfg.Forms, cfg.Dims, cfg.BytesPerChunk()
	}
	if ns.Embedded, ns.Pending, err = v.store.VectorCounts(ctx); err != nil {
		return ns, err
	}
	if next, ok, err := v.store.NextVectors(ctx); err != nil {
		return ns, err
	} else if ok {
		ns.SwitchTo = next.Model
		if ns.SwitchDone, ns.SwitchPending, err = v.store.NextCounts(ctx); err != nil {
			return ns, err
		}
	}
	ns.HybridActive = v.search().Options().Dense != nil
	ns.TextBytes, ns.IndexBytes, err = v.store.PerChunk(ctx)
	return ns, err
}
