package vault

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/models"
)

// tinyModels installs the generated tiny BERT (models/testdata) as the
// embedders "tiny" and "tiny2" and the reranker "tiny-reranker", through the
// real import path.
func tinyModels(t *testing.T) *models.Manager {
	t.Helper()
	rt, err := infer.Open(infer.Config{})
	testdata.NeedORT(t, err, infer.ErrUnavailable)
	rt.Close()
	return testdata.TinyModels(t, CheckModel)
}

func copyFile(t *testing.T, from, to string) { testdata.CopyFile(t, from, to) }

// A file that is not the model its name says is refused at install with a
// reason, the installed model keeps working, and one that got in by hand
// turns semantic search off with that reason in the status instead of
// failing every search.
func TestModelCheckRefusesTheWrongModel(t *testing.T) {
	ctx := context.Background()
	m := tinyModels(t)
	vad := testdata.Shared(t, "models/vad/silero_vad.onnx")
	tok := filepath.Join(testdata.Shared(t, "models/tokenizers/bge-small-en-v1.5"), "tokenizer.json")
	m.Catalog = append(m.Catalog,
		models.Spec{Name: "wide", Role: models.RoleEmbedder, Files: []models.File{{Path: "model.onnx"}, {Path: "tokenizer.json"}}, Pooling: "cls", Normalize: true, Dims: 384, MaxLen: 128},
		models.Spec{Name: "vad", Role: models.RoleVAD, Files: []models.File{{Path: "silero_vad.onnx"}}},
		models.Spec{Name: "whisper", Role: models.RoleWhisper, Files: []models.File{{Path: "model.bin"}}})
	folder := func(files map[string]string) string {
		dir := t.TempDir()
		for name, from := range files {
			copyFile(t, from, filepath.Join(dir, name))
		}
		return dir
	}
	tinyOnnx := "../../models/testdata/tiny-embedder.onnx"
	cases := []struct {
		name, model string
		files       map[string]string
		want        string // in the error; "" installs
	}{
		{"VAD as an embedder", "tiny", map[string]string{"model.onnx": vad, "tokenizer.json": tok}, "takes an input \"input\""},
		{"reranker graph as an embedder", "tiny", map[string]string{"model.onnx": "../../models/testdata/tiny-reranker.onnx", "tokenizer.json": tok}, "want token states"},
		{"embedder of another width", "wide", map[string]string{"model.onnx": tinyOnnx, "tokenizer.json": tok}, "32-wide vectors, the catalog says 384"},
		{"not ONNX at all", "tiny", map[string]string{"model.onnx": tok, "tokenizer.json": tok}, "not an ONNX model"},
		{"embedder as the VAD", "vad", map[string]string{"silero_vad.onnx": tinyOnnx}, "not a Silero VAD"},
		{"the VAD as the VAD", "vad", map[string]string{"silero_vad.onnx": vad}, ""},
		{"ONNX as a Whisper model", "whisper", map[string]string{"model.bin": vad}, "not a whisper.cpp (ggml) model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := m.Get(tc.model)
			_, err := m.Import(tc.model, folder(tc.files))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, infer.ErrWrongModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want ErrWrongModel with %q", err, tc.want)
			}
			if after, _ := m.Get(tc.model); after.Manifest.InstalledAt != before.Manifest.InstalledAt {
				t.Errorf("the installed %s changed", tc.model)
			}
		})
	}
	// The real embedder still serves after the refusals.
	v, err := Open(ctx, t.TempDir(), Options{Neural: NeuralOptions{Models: m, Embedder: "tiny", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := v.Status(ctx)
	v.Close()
	if st.Neural.Embedder != "tiny" || st.Neural.Note != "" {
		t.Fatalf("after refused imports: %+v", st.Neural)
	}

	// The VAD put in the embedder's folder by hand, as an older Hoard let
	// it in: the vault opens lexical, says why, and searches.
	inst, _ := m.Get("tiny")
	copyFile(t, vad, inst.Path("model.onnx"))
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), "Solar panels convert sunlight into electricity.")
	v, err = Open(ctx, t.TempDir(), Options{Neural: NeuralOptions{Models: m, Embedder: "tiny", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err = v.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Neural.HybridActive || st.Neural.Embedder != "" || !strings.Contains(st.Neural.Note, "input_ids") {
		t.Errorf("with a VAD as the embedder, status says %+v", st.Neural)
	}
	hits, err := v.Search(ctx, search.Request{Query: "solar panels", Limit: 3})
	if err != nil || len(hits) != 1 {
		t.Errorf("lexical search with a broken embedder: %d hits, %v", len(hits), err)
	}
}

func TestHybridSearchWithAnEmbedder(t *testing.T) {
	ctx := context.Background()
	m := tinyModels(t)
	dir := t.TempDir()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), "Solar panels convert sunlight into electricity for the house.")
	writeFile(t, filepath.Join(src, "b.txt"), "The sourdough starter needs feeding with flour and water every day.")
	writeFile(t, filepath.Join(src, "c.txt"), "Migratory birds fly south when the autumn days grow short.")
	v, err := Open(ctx, dir, Options{Neural: NeuralOptions{Models: m, Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := v.Add(ctx, []string{src}, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Embedded != sum.Chunks || sum.Chunks == 0 {
		t.Fatalf("embedded %d of %d chunks", sum.Embedded, sum.Chunks)
	}
	st, err := v.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.Neural; n.Embedder != "tiny" || !n.HybridActive || n.Pending != 0 || n.Embedded != sum.Chunks || n.VectorBytes != 32+8+4+4 { // int8 with its scale, bits twice
		t.Fatalf("neural status %+v", n)
	}
	v.WarmVectors(ctx)
	if v.bin.Len() != sum.Chunks {
		t.Fatalf("warmed vector index holds %d of %d vectors", v.bin.Len(), sum.Chunks)
	}
	// Words that occur nowhere: only the vector list can answer.
	hits, err := v.Search(ctx, search.Request{Query: "zyzzyva quux", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("no hits from the vector list")
	}
	// The exact text of a chunk: both lists put it first.
	hits, err = v.Search(ctx, search.Request{Query: "The sourdough starter needs feeding with flour and water every day.", Limit: 3})
	if err != nil || len(hits) == 0 || !strings.HasSuffix(hits[0].Path, "b.txt") {
		t.Fatalf("exact text: %+v %v", hits, err)
	}
	v.Close()

	// Without the dense stage, the same query finds nothing.
	lex := search.DefaultOptions()
	lex.Stages[search.StageDense] = false
	v, err = Open(ctx, dir, Options{Search: &lex, Neural: NeuralOptions{Models: m, Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if hits, _ := v.Search(ctx, search.Request{Query: "zyzzyva quux", Limit: 5}); len(hits) != 0 {
		t.Fatalf("lexical-only search found %d hits for unknown words", len(hits))
	}
	v.Close()

	// With a reranker, search still answers (the gated slot runs it).
	v, err = Open(ctx, dir, Options{Neural: NeuralOptions{Models: m, Reranker: "tiny-reranker"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if st, _ := v.Status(ctx); !st.Neural.Reranker {
		t.Fatal("reranker not loaded")
	}
	if hits, err := v.Search(ctx, search.Request{Query: "birds autumn", Limit: 3}); err != nil || len(hits) == 0 {
		t.Fatalf("search with reranker: %v %v", hits, err)
	}
}

// Vectors are resumable: an interrupted reindex continues where it stopped,
// and a new embedder replaces the old vectors.
func TestReindexVectorsResumesAndSwitchesModels(t *testing.T) {
	ctx := context.Background()
	m := tinyModels(t)
	dir, src := t.TempDir(), t.TempDir()
	for i := range 150 {
		writeFile(t, filepath.Join(src, fmt.Sprintf("n%03d.txt", i)), fmt.Sprintf("Note %d about topic %d and idea %d.", i, i%7, i%11))
	}
	// Indexed with no embedder: everything is pending.
	v, err := Open(ctx, dir, Options{Neural: NeuralOptions{Models: m, Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Reindex(ctx, ReindexOptions{Vectors: true}); err == nil {
		t.Error("reindex without an embedder did not complain")
	}
	v.Close()

	v, err = Open(ctx, dir, Options{Neural: NeuralOptions{Models: m, Embedder: "tiny", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	n, err := v.Reindex(cctx, ReindexOptions{Vectors: true, Progress: func(EmbedProgress) { cancel() }})
	if !errors.Is(err, context.Canceled) || n == 0 || n >= 150 {
		t.Fatalf("interrupted reindex: %d done, %v", n, err)
	}
	st, _ := v.Status(ctx)
	if st.Neural.Embedded != n || st.Neural.Pending != 150-n {
		t.Fatalf("after interruption: %+v (did %d)", st.Neural, n)
	}
	rest, err := v.Reindex(ctx, ReindexOptions{Vectors: true})
	if err != nil || rest != 150-n {
		t.Fatalf("resumed reindex did %d (want %d): %v", rest, 150-n, err)
	}
	v.Close()

	// Another embedder: the old vectors keep serving, queried through the
	// old model, while the new ones are made beside them.
	v, err = Open(ctx, dir, Options{Neural: NeuralOptions{Models: m, Embedder: "tiny2", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	st, _ = v.Status(ctx)
	if !st.Neural.HybridActive || st.Neural.VectorModel != "tiny" || !strings.Contains(st.Neural.Note, "serve until") {
		t.Fatalf("model switch: the old vectors should serve: %+v", st.Neural)
	}
	semantic := func(when string) {
		t.Helper()
		hits, err := v.Search(ctx, search.Request{Query: "zyzzyva quux", Limit: 3})
		if err != nil || len(hits) == 0 {
			t.Fatalf("%s: the vector list found %d hits, %v", when, len(hits), err)
		}
	}
	semantic("before the switch")
	cctx, cancel = context.WithCancel(ctx)
	n, err = v.Reindex(cctx, ReindexOptions{Vectors: true, Progress: func(EmbedProgress) { cancel() }})
	if !errors.Is(err, context.Canceled) || n == 0 || n >= 150 {
		t.Fatalf("interrupted switch: %d done, %v", n, err)
	}
	st, _ = v.Status(ctx)
	if !st.Neural.HybridActive || st.Neural.VectorModel != "tiny" || st.Neural.SwitchTo != "tiny2" || st.Neural.SwitchDone != n || st.Neural.SwitchPending != 150-n {
		t.Fatalf("during the switch: %+v", st.Neural)
	}
	semantic("during the switch")
	// A document added meanwhile is keyword-searchable at once and gets
	// the new model's vector with the rest.
	writeFile(t, filepath.Join(src, "late.txt"), "A late note about lighthouses.")
	if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if hits, _ := v.Search(ctx, search.Request{Query: "lighthouses", Limit: 3}); len(hits) == 0 {
		t.Fatal("a note added during the switch is not found by its words")
	}
	rest, err = v.Reindex(ctx, ReindexOptions{Vectors: true})
	if err != nil || rest != 151-n {
		t.Fatalf("resumed switch did %d (want %d): %v", rest, 151-n, err)
	}
	if st, _ = v.Status(ctx); !st.Neural.HybridActive || st.Neural.VectorModel != "tiny2" || st.Neural.Pending != 0 || st.Neural.Embedded != 151 || st.Neural.SwitchTo != "" || st.Neural.Note != "" {
		t.Fatalf("after the switch: %+v", st.Neural)
	}
	semantic("after the switch")
	v.WarmVectors(ctx)
	if v.bin.Len() != 151 {
		t.Errorf("vector index holds %d vectors after the switch, want 151", v.bin.Len())
	}
	if err := v.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// Every way of keeping vectors finds a passage from its own text: the
// binary shortlist rescored with int8 or float, and vec0's own KNN over
// int8 or float when no sign bits are kept.
func TestVectorFormsAllSearch(t *testing.T) {
	ctx := context.Background()
	m := tinyModels(t)
	src := t.TempDir()
	texts := []string{
		"Solar panels convert sunlight into electricity for the house.",
		"The sourdough starter needs feeding with flour and water every day.",
		"Migratory birds fly south when the autumn days grow short.",
		"A violin has four strings tuned in perfect fifths.",
	}
	for i, tx := range texts {
		writeFile(t, filepath.Join(src, fmt.Sprintf("%d.txt", i)), tx)
	}
	lex := search.DefaultOptions()
	lex.Stages = map[string]bool{search.StageDense: true} // the vector list, and BM25
	for _, forms := range [][]string{{"int8", "bit"}, {"float", "bit"}, {"int8"}, {"float"}, {"float", "int8", "bit"}} {
		t.Run(strings.Join(forms, "+"), func(t *testing.T) {
			v, err := Open(ctx, t.TempDir(), Options{Search: &lex, Neural: NeuralOptions{Models: m, Reranker: "none", Forms: forms}})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
				t.Fatal(err)
			}
			st, _ := v.Status(ctx)
			if !st.Neural.HybridActive || st.Neural.Pending != 0 {
				t.Fatalf("status %+v", st.Neural)
			}
			// Unknown words: only vectors answer, and the nearest is first.
			hits, err := v.Search(ctx, search.Request{Query: "zyzzyva quux", Limit: 4})
			if err != nil || len(hits) == 0 {
				t.Fatalf("dense hits: %v %v", hits, err)
			}
			for i, tx := range texts {
				hits, err := v.Search(ctx, search.Request{Query: tx, Limit: 1, Filter: search.Filter{Collection: "library"}})
				if err != nil || len(hits) == 0 || !strings.HasSuffix(hits[0].Path, fmt.Sprintf("%d.txt", i)) {
					t.Errorf("text %d: %+v %v", i, hits, err)
				}
			}
		})
	}
}

// An embedder installed while the vault is open (a download from
// Settings) is taken up without a restart: the chunks get vectors in the
// background and search turns hybrid.
func TestAdoptModelsWithoutARestart(t *testing.T) {
	ctx := context.Background()
	full := tinyModels(t)
	inst, err := full.Get("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m := &models.Manager{Dir: t.TempDir(), Catalog: full.Catalog, Check: CheckModel}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), "Solar panels convert sunlight into electricity for the house.")
	writeFile(t, filepath.Join(src, "b.txt"), "The sourdough starter needs feeding with flour and water every day.")
	v, err := Open(ctx, t.TempDir(), Options{Neural: NeuralOptions{Models: m, Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if v.AdoptModels(ctx) {
		t.Fatal("adopted a model with none installed")
	}
	if _, err := m.Import("tiny", inst.Dir); err != nil {
		t.Fatal(err)
	}
	if !v.AdoptModels(ctx) {
		t.Fatal("the new embedder was not taken up")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := v.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Neural.HybridActive && st.Neural.Pending == 0 && st.Neural.Embedded == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("vectors not done: %+v", st.Neural)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v.AdoptModels(ctx) {
		t.Error("adopted again with an embedder in use")
	}
	hits, err := v.Search(ctx, search.Request{Query: "zyzzyva quux", Limit: 5})
	if err != nil || len(hits) == 0 {
		t.Errorf("words found nowhere: %d hits, %v; want the vector list's", len(hits), err)
	}

	// Opened with another embedder (as serve starts after a change of
	// model): the switch runs in the background, semantic search answers
	// throughout, and the vectors end up the new model's.
	v.Close()
	if _, err := m.Import("tiny2", inst.Dir); err != nil {
		t.Fatal(err)
	}
	v, err = Open(ctx, v.Dir(), Options{Neural: NeuralOptions{Models: m, Embedder: "tiny2", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if !v.AdoptModels(ctx) {
		t.Fatal("the switch to tiny2 did not start")
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if hits, err := v.Search(ctx, search.Request{Query: "zyzzyva quux", Limit: 5}); err != nil || len(hits) == 0 {
			t.Fatalf("semantic search during the switch: %d hits, %v", len(hits), err)
		}
		st, err := v.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Neural.VectorModel == "tiny2" && st.Neural.HybridActive && st.Neural.SwitchTo == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("switch not done: %+v", st.Neural)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An embedder that reads Latin script only (its catalog entry says so)
// leaves text in other scripts to the keywords: its vectors of a Japanese
// poem sit close to any query. One that reads every script is trusted
// with them.
func TestLatinOnlyEmbedderLeavesOtherScriptsToKeywords(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), "Solar panels convert sunlight into electricity for the house.")
	writeFile(t, filepath.Join(src, "jo.txt"), "わたくしといふ現象は仮定された有機交流電燈のひとつの青い照明です")
	for _, latinOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("latin only %v", latinOnly), func(t *testing.T) {
			m := tinyModels(t)
			for i := range m.Catalog {
				if m.Catalog[i].Name == "tiny" {
					m.Catalog[i].LatinOnly = latinOnly
				}
			}
			v, err := Open(ctx, t.TempDir(), Options{Neural: NeuralOptions{Models: m, Embedder: "tiny", Reranker: "none"}})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
				t.Fatal(err)
			}
			paths := func(q string) []string {
				t.Helper()
				hits, err := v.Search(ctx, search.Request{Query: q, Limit: 5})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, h := range hits {
					out = append(out, filepath.Base(h.Path))
				}
				return out
			}
			// Unknown words: only the vector list answers.
			got := paths("zyzzyva quux")
			if slices.Contains(got, "jo.txt") == latinOnly || !slices.Contains(got, "a.txt") {
				t.Errorf("vectors alone found %v", got)
			}
			// A query in another script: the keywords find the poem; only
			// an embedder that reads the script adds the English passage.
			got = paths("わたくし")
			if len(got) == 0 || got[0] != "jo.txt" || slices.Contains(got, "a.txt") == latinOnly {
				t.Errorf("a Japanese query found %v", got)
			}
		})
	}
}
