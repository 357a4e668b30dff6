package neural

import (
	"context"

	"github.com/hoardvault/hoard/backend/store"
)

// Status says which models the vault uses.
type Status struct {
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

// StatusStore is what Status reads of the store.
type StatusStore interface {
	Vectors(ctx context.Context) (store.VectorConfig, bool, error)
	VectorCounts(ctx context.Context) (done, pending int, err error)
	NextVectors(ctx context.Context) (store.VectorConfig, bool, error)
	NextCounts(ctx context.Context) (done, pending int, err error)
	PerChunk(ctx context.Context) (text, index float64, err error)
}

// Status reports the models and the vault's vectors; hybrid says whether
// search uses them.
func (nn *Models) Status(ctx context.Context, st StatusStore, hybrid bool) (Status, error) {
	ns := Status{Embedder: nn.EmbedderName, Reranker: nn.Reranker != nil, Note: nn.Note}
	if nn.Runtime != nil {
		ns.Runtime = nn.Runtime.Version()
	}
	if nn.Embedder != nil {
		ns.Device = nn.Embedder.Device()
	}
	cfg, ok, err := st.Vectors(ctx)
	if err != nil {
		return ns, err
	}
	if ok {
		ns.VectorModel, ns.VectorForms, ns.Dims, ns.VectorBytes = cfg.Model, cfg.Forms, cfg.Dims, cfg.BytesPerChunk()
	}
	if ns.Embedded, ns.Pending, err = st.VectorCounts(ctx); err != nil {
		return ns, err
	}
	if next, ok, err := st.NextVectors(ctx); err != nil {
		return ns, err
	} else if ok {
		ns.SwitchTo = next.Model
		if ns.SwitchDone, ns.SwitchPending, err = st.NextCounts(ctx); err != nil {
			return ns, err
		}
	}
	ns.HybridActive = hybrid
	ns.TextBytes, ns.IndexBytes, err = st.PerChunk(ctx)
	return ns, err
}
