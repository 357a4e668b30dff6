package ct2ggml

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A toy Whisper: state 8, 2 heads, one encoder and one decoder layer,
// 2 mels, 10-token output vocabulary.
const (
	synS     = 8
	synMels  = 2
	synVocab = 10
)

func f16s(n int, seed int) []byte {
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		// Small normal halves with varied mantissas: sign, exp 13..14.
		h := uint16(0x3400 + (i*37+seed*101)%0x800)
		if (i+seed)%3 == 0 {
			h |= 0x8000
		}
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	return b
}

func synthWhisper() ct2File {
	s := synS
	var vars []testVar
	seed := 0
	add := func(name string, dims ...int) {
		n := 1
		for _, d := range dims {
			n *= d
		}
		seed++
		vars = append(vars, testVar{name: name, dims: dims, dtype: Float16, data: f16s(n, seed)})
	}
	scalar := func(name string, v int16) {
		vars = append(vars, testVar{name: name, dtype: Int16, data: binary.LittleEndian.AppendUint16(nil, uint16(v))})
	}
	fusedBias := func(name string, parts, zero int) {
		b := f16s(parts*s, seed)
		clear(b[2*zero*s : 2*(zero+1)*s])
		vars = append(vars, testVar{name: name, dims: []int{parts * s}, dtype: Float16, data: b})
	}
	ln := func(p string) { add(p+"/gamma", s); add(p+"/beta", s) }
	lin := func(p string, out, in int) { add(p+"/weight", out, in); add(p+"/bias", out) }
	block := func(p string, cross bool) {
		add(p+"self_attention/linear_0/weight", 3*s, s)
		fusedBias(p+"self_attention/linear_0/bias", 3, 1)
		lin(p+"self_attention/linear_1", s, s)
		ln(p + "self_attention/layer_norm")
		if cross {
			lin(p+"attention/linear_0", s, s)
			add(p+"attention/linear_1/weight", 2*s, s)
			fusedBias(p+"attention/linear_1/bias", 2, 0)
			lin(p+"attention/linear_2", s, s)
			ln(p + "attention/layer_norm")
		}
		lin(p+"ffn/linear_0", 4*s, s)
		lin(p+"ffn/linear_1", s, 4*s)
		ln(p + "ffn/layer_norm")
	}
	add("encoder/conv1/weight", s, synMels, 3)
	add("encoder/conv1/bias", s)
	add("encoder/conv2/weight", s, s, 3)
	add("encoder/conv2/bias", s)
	add("encoder/position_encodings/encodings", 6, s)
	ln("encoder/layer_norm")
	block("encoder/layer_0/", false)
	scalar("encoder/num_heads", 2)
	add("decoder/embeddings/weight", synVocab, s)
	add("decoder/position_encodings/encodings", 5, s)
	ln("decoder/layer_norm")
	block("decoder/layer_0/", true)
	scalar("decoder/num_heads", 2)
	vars = append(vars, testVar{name: "decoder/pre_norm", dtype: Int8, data: []byte{1}})
	return ct2File{version: BinaryVersion, spec: "WhisperSpec", revision: 3, vars: vars,
		aliases: [][2]string{{"decoder/projection/weight", "decoder/embeddings/weight"}}}
}

// writeAssets writes a mel_filters.npz with mel_2 and a 3-token rank file
// (one of them the empty "=" token multilingual.tiktoken has).
func writeAssets(t *testing.T, dir string) Assets {
	t.Helper()
	var npy bytes.Buffer
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 3), }", synMels)
	header += strings.Repeat(" ", 63-(10+len(header))%64) + "\n"
	npy.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&npy, binary.LittleEndian, uint16(len(header)))
	npy.WriteString(header)
	for i := 0; i < synMels*3; i++ {
		binary.Write(&npy, binary.LittleEndian, float32(i)/8)
	}
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, _ := zw.Create(fmt.Sprintf("mel_%d.npy", synMels))
	w.Write(npy.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	a := Assets{MelFilters: filepath.Join(dir, "mel_filters.npz"), Vocab: filepath.Join(dir, "toy.tiktoken")}
	vocab := base64.StdEncoding.EncodeToString([]byte("a")) + " 0\n" +
		base64.StdEncoding.EncodeToString([]byte(" hello")) + " 1\n= 2\n"
	if err := os.WriteFile(a.MelFilters, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.Vocab, []byte(vocab), 0o644); err != nil {
		t.Fatal(err)
	}
	return a
}

func writeModel(t *testing.T, f ct2File) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), f.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ggmlTensor is one tensor read back from a ggml file.
type ggmlTensor struct {
	dims  []int32 // ggml order
	ttype int32
	data  []byte
}

// readGGML parses a whisper.cpp model file independently of the writer.
func readGGML(t *testing.T, b []byte) (hp []int32, tokens [][]byte, names []string, ts map[string]ggmlTensor) {
	t.Helper()
	off := 0
	i32 := func() int32 {
		if off+4 > len(b) {
			t.Fatalf("ggml file truncated at %d", off)
		}
		v := int32(binary.LittleEndian.Uint32(b[off:]))
		off += 4
		return v
	}
	if magic := i32(); magic != ggmlMagic {
		t.Fatalf("magic %#x", magic)
	}
	for range 11 {
		hp = append(hp, i32())
	}
	nMel, nFFT := i32(), i32()
	off += int(nMel*nFFT) * 4
	for n := i32(); n > 0; n-- {
		l := int(i32())
		tokens = append(tokens, b[off:off+l])
		off += l
	}
	ts = map[string]ggmlTensor{}
	for off < len(b) {
		nd, nl, tt := i32(), i32(), i32()
		g := ggmlTensor{ttype: tt}
		n := 1
		for range nd {
			d := i32()
			g.dims = append(g.dims, d)
			n *= int(d)
		}
		name := string(b[off : off+int(nl)])
		off += int(nl)
		w := 2
		if tt == 0 {
			w = 4
		}
		g.data = b[off : off+n*w]
		off += n * w
		names = append(names, name)
		ts[name] = g
	}
	return hp, tokens, names, ts
}

func TestConvertSynthetic(t *testing.T) {
	tmp := t.TempDir()
	assets := writeAssets(t, tmp)
	src := synthWhisper()
	var out bytes.Buffer
	if err := Convert(context.Background(), writeModel(t, src), assets, &out); err != nil {
		t.Fatal(err)
	}
	hp, tokens, names, ts := readGGML(t, out.Bytes())
	wantHP := []int32{synVocab, 6, synS, 2, 1, 5, synS, 2, 1, synMels, 1}
	if fmt.Sprint(hp) != fmt.Sprint(wantHP) {
		t.Errorf("hparams %v, want %v", hp, wantHP)
	}
	if len(tokens) != 3 || string(tokens[1]) != " hello" || len(tokens[2]) != 0 {
		t.Errorf("tokens %q", tokens)
	}
	// 7 encoder tensors outside the blocks, 15 per encoder block, 4 decoder
	// tensors outside the blocks, 24 per decoder block: whisper.cpp's loader
	// wants every one of them.
	if len(names) != 7+15+4+24 {
		t.Errorf("%d tensors: %v", len(names), names)
	}
	byName := map[string][]byte{}
	for _, v := range src.vars {
		byName[v.name] = v.data
	}
	half := func(name string, from, n int) []byte { return byName[name][2*from : 2*(from+n)] }
	widen := func(b []byte) []byte {
		var o []byte
		for i := 0; i < len(b); i += 2 {
			o = binary.LittleEndian.AppendUint32(o, f16ToF32Bits(binary.LittleEndian.Uint16(b[i:])))
		}
		return o
	}
	s := synS
	tests := []struct {
		name  string
		dims  []int32
		ttype int32
		data  []byte
	}{
		{"encoder.conv1.weight", []int32{3, synMels, int32(s)}, 1, byName["encoder/conv1/weight"]},
		{"encoder.conv1.bias", []int32{1, int32(s)}, 0, widen(byName["encoder/conv1/bias"])},
		{"encoder.positional_embedding", []int32{int32(s), 6}, 0, widen(byName["encoder/position_encodings/encodings"])},
		{"encoder.blocks.0.attn.query.weight", []int32{int32(s), int32(s)}, 1, half("encoder/layer_0/self_attention/linear_0/weight", 0, s*s)},
		{"encoder.blocks.0.attn.key.weight", []int32{int32(s), int32(s)}, 1, half("encoder/layer_0/self_attention/linear_0/weight", s*s, s*s)},
		{"encoder.blocks.0.attn.value.weight", []int32{int32(s), int32(s)}, 1, half("encoder/layer_0/self_attention/linear_0/weight", 2*s*s, s*s)},
		{"encoder.blocks.0.attn.value.bias", []int32{int32(s)}, 0, widen(half("encoder/layer_0/self_attention/linear_0/bias", 2*s, s))},
		{"encoder.blocks.0.mlp.2.weight", []int32{int32(4 * s), int32(s)}, 1, byName["encoder/layer_0/ffn/linear_1/weight"]},
		{"encoder.ln_post.weight", []int32{int32(s)}, 0, widen(byName["encoder/layer_norm/gamma"])},
		{"decoder.token_embedding.weight", []int32{int32(s), synVocab}, 1, byName["decoder/embeddings/weight"]},
		{"decoder.blocks.0.cross_attn.key.weight", []int32{int32(s), int32(s)}, 1, half("decoder/layer_0/attention/linear_1/weight", 0, s*s)},
		{"decoder.blocks.0.cross_attn.value.bias", []int32{int32(s)}, 0, widen(half("decoder/layer_0/attention/linear_1/bias", s, s))},
		{"decoder.blocks.0.cross_attn_ln.bias", []int32{int32(s)}, 0, widen(byName["decoder/layer_0/attention/layer_norm/beta"])},
		{"decoder.ln.bias", []int32{int32(s)}, 0, widen(byName["decoder/layer_norm/beta"])},
	}
	for _, tc := range tests {
		g, ok := ts[tc.name]
		if !ok {
			t.Errorf("%s missing", tc.name)
			continue
		}
		if fmt.Sprint(g.dims) != fmt.Sprint(tc.dims) || g.ttype != tc.ttype || !bytes.Equal(g.data, tc.data) {
			t.Errorf("%s: dims %v type %d (want %v %d), data equal %v", tc.name, g.dims, g.ttype, tc.dims, tc.ttype, bytes.Equal(g.data, tc.data))
		}
	}
	for _, absent := range []string{"encoder.blocks.0.attn.key.bias", "decoder.blocks.0.cross_attn.key.bias"} {
		if _, ok := ts[absent]; ok {
			t.Errorf("%s written; whisper.cpp would reject the file", absent)
		}
	}
	// Deterministic: a second run gives the same bytes.
	var again bytes.Buffer
	if err := Convert(context.Background(), writeModel(t, src), assets, &again); err != nil || !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Errorf("second conversion differs (err %v)", err)
	}
}

func TestConvertRefuses(t *testing.T) {
	assets := writeAssets(t, t.TempDir())
	edit := func(f func(*ct2File)) ct2File {
		c := synthWhisper()
		f(&c)
		return c
	}
	find := func(c *ct2File, name string) *testVar {
		for i := range c.vars {
			if c.vars[i].name == name {
				return &c.vars[i]
			}
		}
		panic(name)
	}
	tests := []struct {
		name string
		src  ct2File
		want string
	}{
		{"nonzero key bias", edit(func(c *ct2File) {
			find(c, "encoder/layer_0/self_attention/linear_0/bias").data[2*synS] = 1
		}), "nonzero"},
		{"nonzero cross key bias", edit(func(c *ct2File) {
			find(c, "decoder/layer_0/attention/linear_1/bias").data[1] = 0x3c
		}), "nonzero"},
		{"missing tensor", edit(func(c *ct2File) {
			find(c, "decoder/layer_0/ffn/linear_1/bias").name = "decoder/layer_0/ffn/linear_9/bias"
		}), "no decoder/layer_0/ffn/linear_1/bias"},
		{"wrong shape", edit(func(c *ct2File) {
			v := find(c, "encoder/conv2/weight")
			v.dims = []int{synS, synS, 1}
			v.data = v.data[:2*synS*synS]
		}), "encoder/conv2/weight has shape"},
		{"layer gap", edit(func(c *ct2File) {
			for i := range c.vars {
				c.vars[i].name = strings.Replace(c.vars[i].name, "decoder/layer_0/", "decoder/layer_1/", 1)
			}
		}), "missing 0"},
		{"unknown tensor", edit(func(c *ct2File) {
			c.vars = append(c.vars, testVar{name: "decoder/extra", dims: []int{2}, dtype: Float16})
		}), "no place"},
		{"bfloat16", edit(func(c *ct2File) {
			find(c, "encoder/conv1/weight").dtype = BFloat16
		}), "bfloat16"},
		{"int8 weights", edit(func(c *ct2File) {
			v := find(c, "decoder/embeddings/weight")
			v.dtype, v.data = Int8, v.data[:len(v.data)/2]
		}), "int8"},
		{"not whisper", edit(func(c *ct2File) { c.spec = "TransformerSpec" }), "not WhisperSpec"},
		{"heads do not divide", edit(func(c *ct2File) {
			find(c, "encoder/num_heads").data = []byte{3, 0}
		}), "does not divide"},
		{"untied projection", edit(func(c *ct2File) {
			c.aliases = nil
			c.vars = append(c.vars, testVar{name: "decoder/projection/weight", dims: []int{synVocab, synS}, dtype: Float16})
		}), "ties them"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Convert(context.Background(), writeModel(t, tc.src), assets, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written before the refusal", out.Len())
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := Convert(ctx, writeModel(t, synthWhisper()), assets, &bytes.Buffer{}); err == nil {
			t.Fatal("no error from a cancelled context")
		}
	})
}

func TestFloat32Source(t *testing.T) {
	// An all-float32 source gives an ftype-0 file with every tensor f32.
	src := synthWhisper()
	for i, v := range src.vars {
		if v.dtype != Float16 {
			continue
		}
		var o []byte
		for j := 0; j < len(v.data); j += 2 {
			o = binary.LittleEndian.AppendUint32(o, f16ToF32Bits(binary.LittleEndian.Uint16(v.data[j:])))
		}
		src.vars[i].dtype, src.vars[i].data = Float32, o
	}
	var out bytes.Buffer
	if err := Convert(context.Background(), writeModel(t, src), writeAssets(t, t.TempDir()), &out); err != nil {
		t.Fatal(err)
	}
	hp, _, _, ts := readGGML(t, out.Bytes())
	if hp[10] != 0 {
		t.Errorf("ftype %d, want 0", hp[10])
	}
	for name, g := range ts {
		if g.ttype != 0 {
			t.Errorf("%s type %d", name, g.ttype)
		}
	}
	w := ts["encoder.conv2.weight"].data
	if math.Float32frombits(binary.LittleEndian.Uint32(w)) == 0 {
		t.Error("conv2 data looks empty")
	}
}
