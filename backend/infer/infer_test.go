package infer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// tiny is the generated test model folder (models/scripts/gen_bert.py).
const tiny = "../../models/testdata"

// openRuntime loads ONNX Runtime, or skips when it is not installed
// (`make ort`); HOARD_REQUIRE_ORT=1 (CI) makes that a failure.
func openRuntime(t testing.TB) *Runtime {
	t.Helper()
	rt, err := Open(Config{Threads: 1})
	if errors.Is(err, ErrUnavailable) && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
		t.Skipf("ONNX Runtime not installed (run `make ort`): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

type reference struct {
	InputIDs  [][]int       `json:"input_ids"`
	Hidden    [][][]float64 `json:"hidden"`
	CLS       [][]float64   `json:"cls_normalized"`
	Mean      [][]float64   `json:"mean_normalized"`
	PairIDs   [][]int       `json:"pair_ids"`
	PairTypes [][]int       `json:"pair_types"`
	Logits    []float64     `json:"logits"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(tiny, "tiny-reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// unpadded drops the padding ids the reference batch carries.
func unpadded(ids [][]int) [][]int {
	out := make([][]int, len(ids))
	for i, row := range ids {
		n := len(row)
		for n > 0 && row[n-1] == 0 {
			n--
		}
		out[i] = row[:n]
	}
	return out
}

func TestEmbedderMatchesPyTorch(t *testing.T) {
	rt := openRuntime(t)
	ref := loadReference(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pooling string
		want    [][]float64
	}{{"cls", ref.CLS}, {"mean", ref.Mean}} {
		t.Run(tc.pooling, func(t *testing.T) {
			e, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(tiny, "tiny-embedder.onnx"), Pooling: tc.pooling, Normalize: true})
			if err != nil {
				t.Fatal(err)
			}
			ids := unpadded(ref.InputIDs)
			enc, err := e.EncodeIDs(ctx, ids, true)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i := range enc {
				for k, v := range enc[i].Vector {
					worst = math.Max(worst, math.Abs(float64(v)-tc.want[i][k]))
				}
				if len(enc[i].States) != len(ids[i]) {
					t.Fatalf("text %d: %d token states, want %d", i, len(enc[i].States), len(ids[i]))
				}
				for j, st := range enc[i].States {
					for k, v := range st {
						worst = math.Max(worst, math.Abs(float64(v)-ref.Hidden[i][j][k]))
					}
				}
			}
			if worst > 1e-4 {
				t.Errorf("largest difference from PyTorch %g, want ≤ 1e-4", worst)
			}
			if e.Dim() != 32 {
				t.Errorf("Dim = %d, want 32", e.Dim())
			}
		})
	}
}

// Bucketing and batching must not change a text's vector.
func TestEmbedderBatchingIsInvisible(t *testing.T) {
	rt := openRuntime(t)
	ref := loadReference(t)
	e, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(tiny, "tiny-embedder.onnx"), Pooling: "mean", Normalize: true, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	ids := unpadded(ref.InputIDs)
	ids = append(ids, ids...) // 6 texts in batches of 2, mixed lengths
	all, err := e.EncodeIDs(context.Background(), ids, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, one := range ids {
		single, err := e.EncodeIDs(context.Background(), [][]int{one}, false)
		if err != nil {
			t.Fatal(err)
		}
		for k := range single[0].Vector {
			if d := math.Abs(float64(single[0].Vector[k] - all[i].Vector[k])); d > 1e-5 {
				t.Fatalf("text %d dim %d: alone %g, batched %g", i, k, single[0].Vector[k], all[i].Vector[k])
			}
		}
	}
	// The same file is one session.
	e2, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(tiny, "tiny-embedder.onnx")})
	if err != nil {
		t.Fatal(err)
	}
	if e2.sess != e.sess {
		t.Error("a second embedder on the same model loaded another session")
	}
}

func TestRerankerMatchesPyTorch(t *testing.T) {
	rt := openRuntime(t)
	ref := loadReference(t)
	rr, err := rt.Reranker(RerankerSpec{Model: filepath.Join(tiny, "tiny-reranker.onnx")})
	if err != nil {
		t.Fatal(err)
	}
	ids := unpadded(ref.PairIDs)
	types := make([][]int, len(ids))
	for i := range ids {
		types[i] = ref.PairTypes[i][:len(ids[i])]
	}
	got, err := rr.ScoreIDs(context.Background(), ids, types)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ref.Logits {
		want := 1 / (1 + math.Exp(-l))
		if math.Abs(got[i]-want) > 1e-4 {
			t.Errorf("pair %d: score %g, want %g", i, got[i], want)
		}
	}
}

// Texts through the real tokenizer and the tiny model: a whole path from
// text to vector, and the reranker slot's interface.
func TestEmbedTextsWithRealTokenizer(t *testing.T) {
	rt := openRuntime(t)
	tokPath := filepath.Join(testdata.Shared(t, filepath.Join("models", "tokenizers", "bge-small-en-v1.5")), "tokenizer.json")
	e, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(tiny, "tiny-embedder.onnx"), Tokenizer: tokPath, Pooling: "cls", Normalize: true, QueryPrefix: "query: "})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a very long passage about vaults ", 400)
	vecs, err := e.EmbedPassages(context.Background(), []string{"hello world", long, ""})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if len(v) != 32 || math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d: dim %d, norm² %g", i, len(v), n)
		}
	}
	q, err := e.EmbedQuery(context.Background(), "hello world")
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for k := range q {
		same = same && q[k] == vecs[0][k]
	}
	if same {
		t.Error("the query prefix did not change the query's vector")
	}
	rr, err := rt.Reranker(RerankerSpec{Model: filepath.Join(tiny, "tiny-reranker.onnx"), Tokenizer: tokPath})
	if err != nil {
		t.Fatal(err)
	}
	scores, err := rr.Rerank(context.Background(), "vaults", []string{"hello", long})
	if err != nil || len(scores) != 2 {
		t.Fatalf("rerank: %v %v", scores, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.EmbedPassages(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled embed: %v", err)
	}
}

func TestMissingLibraryIsAClearError(t *testing.T) {
	for _, tc := range []struct{ name, lib, want string }{
		{"missing", filepath.Join(t.TempDir(), "nope.so"), "HOARD_ORT_LIB"},
		{"not a library", filepath.Join(tiny, "tiny-reference.json"), "could not be loaded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Lock()
			busy := env.refs > 0
			env.Unlock()
			if busy {
				t.Skip("another runtime is open")
			}
			t.Setenv("HOARD_ORT_LIB", tc.lib)
			_, err := Open(Config{})
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "make ort") {
				t.Errorf("Open with %s: %v", tc.lib, err)
			}
		})
	}
}

// Asking for CUDA where ONNX Runtime has no CUDA provider (this library is
// CPU-only) runs on the CPU and says so once.
func TestCUDAFallsBackToCPU(t *testing.T) {
	var logs strings.Builder
	rt, err := Open(Config{Threads: 1, Device: "cuda", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if errors.Is(err, ErrUnavailable) && os.Getenv("HOARD_REQUIRE_ORT") != "1" {
		t.Skipf("ONNX Runtime not installed (run `make ort`): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	e, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(tiny, "tiny-embedder.onnx")})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rt.Reranker(RerankerSpec{Model: filepath.Join(tiny, "tiny-reranker.onnx")})
	if err != nil {
		t.Fatal(err)
	}
	if e.Device() == "cuda" {
		t.Skip("this ONNX Runtime has CUDA: nothing to fall back from")
	}
	if e.Device() != "cpu" || r.sess.Device != "cpu" {
		t.Errorf("devices %s, %s", e.Device(), r.sess.Device)
	}
	if n := strings.Count(logs.String(), "CUDA is not available"); n != 1 {
		t.Errorf("%d fallback log lines, want 1:\n%s", n, logs.String())
	}
	if _, err := e.EncodeIDs(context.Background(), [][]int{{101, 102}}, false); err != nil {
		t.Errorf("fallback session does not run: %v", err)
	}
}
