package ct2ggml

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// hparams are the eleven int32 header fields of a whisper.cpp model, in
// file order.
type hparams struct {
	NVocab, NAudioCtx, NAudioState, NAudioHead, NAudioLayer   int32
	NTextCtx, NTextState, NTextHead, NTextLayer, NMels, FType int32
}

func (h hparams) fields() []int32 {
	return []int32{h.NVocab, h.NAudioCtx, h.NAudioState, h.NAudioHead, h.NAudioLayer,
		h.NTextCtx, h.NTextState, h.NTextHead, h.NTextLayer, h.NMels, h.FType}
}

// tensor is one ggml tensor to write: Rows rows starting at row From of the
// CTranslate2 variable Src (a fused projection is split this way).
type tensor struct {
	Name string
	Dims []int // PyTorch order; the file stores them reversed
	F32  bool  // written as float32 (else float16)
	Src  Variable
	From int
	Rows int
}

// rowSlice is a run of rows of a variable, used for checks on data that is
// not written (the zero key bias CTranslate2 inserts when fusing).
type rowSlice struct {
	Src        Variable
	From, Rows int
}

func (s rowSlice) span() (off, n int64) {
	rowBytes := s.Src.Size / int64(s.Src.Dims[0])
	return s.Src.Offset + int64(s.From)*rowBytes, int64(s.Rows) * rowBytes
}

func (t tensor) span() (off, n int64) {
	return rowSlice{t.Src, t.From, t.Rows}.span()
}

// plan is everything Convert writes or checks, derived from model.bin alone.
type plan struct {
	HP      hparams
	Tensors []tensor
	// MustBeZero lists source data the output drops; it has to be zero for
	// the conversion to be lossless.
	MustBeZero []rowSlice
	// MustEqual pairs an untied output projection with the token
	// embedding whisper.cpp reuses in its place.
	MustEqual [][2]Variable
}

// makePlan maps CTranslate2's Whisper spec names onto the OpenAI names that
// whisper.cpp's loader asks for, in the order OpenAI's state_dict (and so
// convert-pt-to-ggml.py) lists them, checking every shape on the way.
func makePlan(m *Model, heads func(string) (int64, error)) (*plan, error) {
	if m.Spec != "WhisperSpec" {
		return nil, fmt.Errorf("model spec %q is not WhisperSpec", m.Spec)
	}
	if m.Revision < 1 || m.Revision > 3 {
		return nil, fmt.Errorf("WhisperSpec revision %d is not supported (1 to 3)", m.Revision)
	}
	b := &builder{m: m, used: map[string]bool{}}
	var hp hparams
	emb := b.need("decoder/embeddings/weight", -1, -1)
	epe := b.need("encoder/position_encodings/encodings", -1, -1)
	dpe := b.need("decoder/position_encodings/encodings", -1, -1)
	conv1 := b.need("encoder/conv1/weight", -1, -1, 3)
	if b.err != nil {
		return nil, b.err
	}
	s := epe.Dims[1]
	hp.NVocab, hp.NAudioCtx, hp.NAudioState = i32(emb.Dims[0]), i32(epe.Dims[0]), i32(s)
	hp.NTextCtx, hp.NTextState, hp.NMels = i32(dpe.Dims[0]), i32(dpe.Dims[1]), i32(conv1.Dims[1])
	if dpe.Dims[1] != s || emb.Dims[1] != s || conv1.Dims[0] != s {
		// whisper.cpp asserts n_text_state == n_audio_state.
		return nil, fmt.Errorf("state sizes differ: encoder %d, decoder %d, embeddings %d, conv1 %d",
			s, dpe.Dims[1], emb.Dims[1], conv1.Dims[0])
	}
	var err error
	if hp.NAudioLayer, err = countLayers(m, "encoder/layer_"); err != nil {
		return nil, err
	}
	if hp.NTextLayer, err = countLayers(m, "decoder/layer_"); err != nil {
		return nil, err
	}
	for _, h := range []struct {
		name string
		dst  *int32
	}{{"encoder/num_heads", &hp.NAudioHead}, {"decoder/num_heads", &hp.NTextHead}} {
		n, err := heads(h.name)
		if err != nil {
			return nil, err
		}
		if n <= 0 || int64(s)%n != 0 {
			return nil, fmt.Errorf("%s = %d does not divide the state size %d", h.name, n, s)
		}
		*h.dst = int32(n)
	}

	b.add("encoder.positional_embedding", epe, true)
	b.add("encoder.conv1.weight", conv1, false)
	b.convBias("encoder.conv1.bias", "encoder/conv1/bias", s)
	b.add("encoder.conv2.weight", b.need("encoder/conv2/weight", s, s, 3), false)
	b.convBias("encoder.conv2.bias", "encoder/conv2/bias", s)
	for i := 0; i < int(hp.NAudioLayer); i++ {
		src := fmt.Sprintf("encoder/layer_%d/", i)
		dst := fmt.Sprintf("encoder.blocks.%d.", i)
		b.selfAttention(dst, src, s)
		b.mlp(dst, src, s)
	}
	b.layerNorm("encoder.ln_post", "encoder/layer_norm", s)
	b.add("decoder.positional_embedding", dpe, true)
	b.add("decoder.token_embedding.weight", emb, false)
	for i := 0; i < int(hp.NTextLayer); i++ {
		src := fmt.Sprintf("decoder/layer_%d/", i)
		dst := fmt.Sprintf("decoder.blocks.%d.", i)
		b.selfAttention(dst, src, s)
		b.crossAttention(dst, src, s)
		b.mlp(dst, src, s)
	}
	b.layerNorm("decoder.ln", "decoder/layer_norm", s)
	b.projection(emb)
	if b.err != nil {
		return nil, b.err
	}
	// Anything left over would be silently lost; scalars are CTranslate2's
	// runtime flags (num_heads, pre_norm, activation...), not weights.
	for _, v := range m.Variables {
		if len(v.Dims) > 0 && !b.used[v.Name] {
			return nil, fmt.Errorf("variable %s %v has no place in a whisper.cpp model", v.Name, v.Dims)
		}
	}
	p := &plan{HP: hp, Tensors: b.out, MustBeZero: b.zero, MustEqual: b.equal}
	if p.HP.FType, err = fileType(p.Tensors); err != nil {
		return nil, err
	}
	return p, nil
}

// fileType picks the header ftype from the dtype of the 2-D weights: 1 when
// they are all float16 (the usual faster-whisper export), 0 when all are
// float32 (then every tensor is written float32, as whisper.cpp expects
// conv weights to follow the file type). Other dtypes would need lossy
// narrowing or dequantization.
func fileType(ts []tensor) (int32, error) {
	var f16, f32 int
	for _, t := range ts {
		if t.Src.DType != Float16 && t.Src.DType != Float32 {
			return 0, fmt.Errorf("%s is %s; only float16 and float32 models convert losslessly", t.Src.Name, t.Src.DType)
		}
		if t.F32 {
			continue
		}
		if t.Src.DType == Float16 {
			f16++
		} else {
			f32++
		}
	}
	switch {
	case f32 == 0:
		return 1, nil
	case f16 == 0:
		for i := range ts {
			ts[i].F32 = true
		}
		return 0, nil
	}
	return 0, fmt.Errorf("weights mix float16 (%d) and float32 (%d); refusing a lossy narrowing", f16, f32)
}

type builder struct {
	m     *Model
	used  map[string]bool
	out   []tensor
	zero  []rowSlice
	equal [][2]Variable
	err   error
}

// need fetches a variable and checks its shape (-1 matches any size).
func (b *builder) need(name string, dims ...int) Variable {
	if b.err != nil {
		return Variable{}
	}
	v, ok := b.m.Lookup(name)
	if !ok {
		b.err = fmt.Errorf("model.bin has no %s", name)
		return v
	}
	if !shapeIs(v.Dims, dims) {
		b.err = fmt.Errorf("%s has shape %v, want %v", name, v.Dims, dims)
		return v
	}
	for _, d := range v.Dims {
		// ggml stores dims as int32; an empty tensor has no use here.
		if d == 0 || d > math.MaxInt32 {
			b.err = fmt.Errorf("%s has shape %v, out of range", name, v.Dims)
			return v
		}
	}
	b.used[v.Name] = true
	return v
}

func shapeIs(got, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if want[i] >= 0 && got[i] != want[i] {
			return false
		}
	}
	return true
}

func (b *builder) add(name string, v Variable, f32 bool) {
	b.rows(name, v, 0, v.Dims, f32)
}

// rows adds the tensor made of rows [from, from+dims[0]) of v.
func (b *builder) rows(name string, v Variable, from int, dims []int, f32 bool) {
	if b.err != nil {
		return
	}
	b.out = append(b.out, tensor{Name: name, Dims: dims, F32: f32, Src: v, From: from, Rows: dims[0]})
}

func (b *builder) linear(dst, src string, out, in int) {
	b.add(dst+".weight", b.need(src+"/weight", out, in), false)
	b.add(dst+".bias", b.need(src+"/bias", out), true)
}

func (b *builder) layerNorm(dst, src string, s int) {
	b.add(dst+".weight", b.need(src+"/gamma", s), true)
	b.add(dst+".bias", b.need(src+"/beta", s), true)
}

// convBias is written as an (s, 1) matrix in float32, as the reference
// script reshapes it for ggml's broadcasting add.
func (b *builder) convBias(dst, src string, s int) {
	b.rows(dst, b.need(src, s), 0, []int{s, 1}, true)
}

// selfAttention splits CTranslate2's fused [q; k; v] projection. Whisper's
// key projection has no bias, so the key third of the fused bias must be 0.
func (b *builder) selfAttention(dst, src string, s int) {
	w := b.need(src+"self_attention/linear_0/weight", 3*s, s)
	bias := b.need(src+"self_attention/linear_0/bias", 3*s)
	b.rows(dst+"attn.query.weight", w, 0, []int{s, s}, false)
	b.rows(dst+"attn.query.bias", bias, 0, []int{s}, true)
	b.rows(dst+"attn.key.weight", w, s, []int{s, s}, false)
	b.rows(dst+"attn.value.weight", w, 2*s, []int{s, s}, false)
	b.rows(dst+"attn.value.bias", bias, 2*s, []int{s}, true)
	b.zero = append(b.zero, rowSlice{bias, s, s})
	b.linear(dst+"attn.out", src+"self_attention/linear_1", s, s)
	b.layerNorm(dst+"attn_ln", src+"self_attention/layer_norm", s)
}

// crossAttention: CTranslate2 keeps the query apart (linear_0) and fuses
// [k; v] over the encoder output (linear_1); linear_2 is the output.
func (b *builder) crossAttention(dst, src string, s int) {
	b.linear(dst+"cross_attn.query", src+"attention/linear_0", s, s)
	w := b.need(src+"attention/linear_1/weight", 2*s, s)
	bias := b.need(src+"attention/linear_1/bias", 2*s)
	b.rows(dst+"cross_attn.key.weight", w, 0, []int{s, s}, false)
	b.rows(dst+"cross_attn.value.weight", w, s, []int{s, s}, false)
	b.rows(dst+"cross_attn.value.bias", bias, s, []int{s}, true)
	b.zero = append(b.zero, rowSlice{bias, 0, s})
	b.linear(dst+"cross_attn.out", src+"attention/linear_2", s, s)
	b.layerNorm(dst+"cross_attn_ln", src+"attention/layer_norm", s)
}

func (b *builder) mlp(dst, src string, s int) {
	b.linear(dst+"mlp.0", src+"ffn/linear_0", 4*s, s)
	b.linear(dst+"mlp.2", src+"ffn/linear_1", s, 4*s)
	b.layerNorm(dst+"mlp_ln", src+"ffn/layer_norm", s)
}

// projection: whisper.cpp computes logits with the token embedding, as
// Whisper ties them. CTranslate2 normally stores the projection as an alias
// of the embedding; a separate copy must be identical, and a bias zero.
func (b *builder) projection(emb Variable) {
	if b.err != nil {
		return
	}
	const name = "decoder/projection/weight"
	if target, ok := b.m.Aliases[name]; ok {
		if target != emb.Name {
			b.err = fmt.Errorf("%s is an alias of %s, not of %s", name, target, emb.Name)
		}
	} else if _, ok := b.m.Lookup(name); ok {
		v := b.need(name, emb.Dims...)
		if b.err == nil && v.DType != emb.DType {
			b.err = fmt.Errorf("%s is %s but %s is %s", name, v.DType, emb.Name, emb.DType)
		}
		b.equal = append(b.equal, [2]Variable{v, emb})
	}
	if _, ok := b.m.Lookup("decoder/projection/bias"); ok {
		v := b.need("decoder/projection/bias", emb.Dims[0])
		b.zero = append(b.zero, rowSlice{v, 0, emb.Dims[0]})
	}
}

// countLayers counts prefix+"N/..." layers and refuses gaps (a missing
// layer would otherwise shift every later one).
func countLayers(m *Model, prefix string) (int32, error) {
	seen := map[int]bool{}
	for _, v := range m.Variables {
		rest, ok := strings.CutPrefix(v.Name, prefix)
		if !ok {
			continue
		}
		idx, _, _ := strings.Cut(rest, "/")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 0 || n > maxCount {
			// e.g. encoder/layer_norm; a stray name is caught later as an
			// unused variable.
			continue
		}
		seen[n] = true
	}
	for i := range len(seen) {
		if !seen[i] {
			return 0, fmt.Errorf("%s layers are not numbered 0..%d (missing %d)", strings.TrimSuffix(prefix, "_"), len(seen)-1, i)
		}
	}
	if len(seen) == 0 {
		return 0, fmt.Errorf("model.bin has no %sN variables", prefix)
	}
	return int32(len(seen)), nil
}

func i32(n int) int32 { return int32(n) }
