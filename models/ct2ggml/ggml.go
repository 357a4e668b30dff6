package ct2ggml

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// ggmlMagic is "ggml" read as a little-endian uint32.
const ggmlMagic = 0x67676d6c

// chunk is how much tensor data is read at a time; the context is checked
// between chunks so a cancelled conversion stops promptly.
const chunk = 1 << 20

type ggmlWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (g *ggmlWriter) i32(vs ...int32) {
	if g.err != nil {
		return
	}
	b := g.buf[:0]
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	_, g.err = g.w.Write(b)
}

func (g *ggmlWriter) bytes(b []byte) {
	if g.err != nil {
		return
	}
	_, g.err = g.w.Write(b)
}

// header writes magic, hyperparameters, mel filters and vocabulary, the
// layout whisper_model_load reads before the tensors.
func (g *ggmlWriter) header(hp hparams, mel MelFilters, tokens [][]byte) {
	g.i32(ggmlMagic)
	g.i32(hp.fields()...)
	g.i32(int32(mel.NMel), int32(mel.NFFT))
	b := make([]byte, 0, 4*len(mel.Data))
	for _, f := range mel.Data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	g.bytes(b)
	g.i32(int32(len(tokens)))
	for _, t := range tokens {
		g.i32(int32(len(t)))
		g.bytes(t)
	}
}

// tensor writes one tensor record: n_dims, name length, type (0 f32, 1 f16),
// dims innermost first (ggml order), the name, then the data.
func (g *ggmlWriter) tensor(ctx context.Context, r io.ReaderAt, t tensor) {
	if g.err != nil {
		return
	}
	ttype := int32(1)
	if t.F32 {
		ttype = 0
	}
	g.i32(int32(len(t.Dims)), int32(len(t.Name)), ttype)
	for i := len(t.Dims) - 1; i >= 0; i-- {
		g.i32(int32(t.Dims[i]))
	}
	g.bytes([]byte(t.Name))
	if g.err != nil {
		return
	}
	off, n := t.span()
	widen := t.F32 && t.Src.DType == Float16
	if !t.F32 && t.Src.DType != Float16 {
		g.err = fmt.Errorf("%s: cannot write %s as float16 losslessly", t.Name, t.Src.DType)
		return
	}
	in := make([]byte, min(n, chunk))
	var out []byte
	if widen {
		out = make([]byte, 2*len(in))
	}
	for n > 0 {
		if err := ctx.Err(); err != nil {
			g.err = err
			return
		}
		c := in[:min(n, int64(len(in)))]
		if _, err := r.ReadAt(c, off); err != nil {
			g.err = fmt.Errorf("read %s: %w", t.Src.Name, err)
			return
		}
		if widen {
			for i := 0; i+1 < len(c); i += 2 {
				f := f16ToF32Bits(binary.LittleEndian.Uint16(c[i:]))
				binary.LittleEndian.PutUint32(out[2*i:], f)
			}
			g.bytes(out[:2*len(c)])
		} else {
			g.bytes(c)
		}
		if g.err != nil {
			return
		}
		off += int64(len(c))
		n -= int64(len(c))
	}
}

// f16ToF32Bits widens an IEEE half to single precision exactly, keeping
// signed zeros, subnormals, infinities and NaN payloads (as numpy's
// astype(float32) does).
func f16ToF32Bits(h uint16) uint32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return sign | 0x7f800000 | mant<<13
	case exp != 0:
		return sign | (exp+127-15)<<23 | mant<<13
	case mant == 0:
		return sign
	}
	// Subnormal half: shift the mantissa up to an implicit leading 1.
	e := uint32(127 - 15 + 1)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return sign | e<<23 | (mant&0x3ff)<<13
}
