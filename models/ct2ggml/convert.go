package ct2ggml

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Assets are the OpenAI Whisper files a ggml model embeds that a
// CTranslate2 folder does not carry in the needed form.
type Assets struct {
	// MelFilters is the path of OpenAI's mel_filters.npz.
	MelFilters string
	// Vocab is a tiktoken rank file, or a folder holding gpt2.tiktoken and
	// multilingual.tiktoken, of which VocabFile(n_vocab) is taken: the same
	// choice convert-pt-to-ggml.py makes. (The CTranslate2 folder's
	// vocabulary.txt / tokenizer.json hold the same tokens in GPT-2's
	// byte-to-unicode spelling plus the special tokens, which whisper.cpp
	// adds itself; the rank file is used so the output matches the
	// reference converter byte for byte.)
	Vocab string
}

// Convert reads the CTranslate2 Whisper model in dir (model.bin) and writes
// the equivalent whisper.cpp ggml model to w. Hyperparameters come from the
// tensor shapes and the num_heads scalars in model.bin; config.json
// (alignment heads, suppressed tokens) is not read, as the ggml format has
// no field for it and whisper.cpp keeps its own alignment-head presets. Everything is validated before
// the first byte is written, so an error from a bad model leaves w empty;
// an error from w itself or from ctx may leave a partial file.
func Convert(ctx context.Context, dir string, assets Assets, w io.Writer) error {
	f, err := os.Open(filepath.Join(dir, "model.bin"))
	if err != nil {
		return fmt.Errorf("ct2ggml: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("ct2ggml: %w", err)
	}
	m, err := Parse(f, st.Size())
	if err != nil {
		return fmt.Errorf("ct2ggml: %s: %w", f.Name(), err)
	}
	p, err := makePlan(m, func(name string) (int64, error) {
		v, ok := m.Lookup(name)
		if !ok {
			return 0, fmt.Errorf("model.bin has no %s", name)
		}
		return ReadScalar(f, v)
	})
	if err != nil {
		return fmt.Errorf("ct2ggml: %s: %w", f.Name(), err)
	}
	if err := p.verify(ctx, f); err != nil {
		return fmt.Errorf("ct2ggml: %s: %w", f.Name(), err)
	}
	mel, err := ReadMelFilters(assets.MelFilters, int(p.HP.NMels))
	if err != nil {
		return fmt.Errorf("ct2ggml: %w", err)
	}
	vocab := assets.Vocab
	if fi, err := os.Stat(vocab); err == nil && fi.IsDir() {
		vocab = filepath.Join(vocab, VocabFile(int(p.HP.NVocab)))
	}
	tokens, err := ReadTiktoken(vocab)
	if err != nil {
		return fmt.Errorf("ct2ggml: %w", err)
	}
	if len(tokens) > int(p.HP.NVocab) {
		return fmt.Errorf("ct2ggml: %s has %d tokens, more than the model's %d", vocab, len(tokens), p.HP.NVocab)
	}

	bw := bufio.NewWriterSize(w, 1<<20)
	g := &ggmlWriter{w: bw, buf: make([]byte, 0, 64)}
	g.header(p.HP, mel, tokens)
	for _, t := range p.Tensors {
		g.tensor(ctx, f, t)
	}
	if g.err != nil {
		return fmt.Errorf("ct2ggml: write: %w", g.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ct2ggml: write: %w", err)
	}
	return nil
}

// verify checks the data the output leaves out: dropped biases must be zero
// (positive or negative) and an untied projection equal to the embedding.
func (p *plan) verify(ctx context.Context, r io.ReaderAt) error {
	for _, z := range p.MustBeZero {
		off, n := z.span()
		elem := int64(z.Src.DType.Size())
		err := eachChunk(ctx, r, off, n, func(b []byte, at int64) error {
			for i := int64(0); i < int64(len(b)); i += elem {
				if !isZero(b[i:i+elem], z.Src.DType) {
					return fmt.Errorf("%s element %d is nonzero; whisper.cpp has no place for it",
						z.Src.Name, (at-z.Src.Offset+i)/elem)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, pair := range p.MustEqual {
		a, b := pair[0], pair[1]
		other := make([]byte, chunk)
		err := eachChunk(ctx, r, a.Offset, a.Size, func(c []byte, at int64) error {
			o := other[:len(c)]
			if _, err := r.ReadAt(o, b.Offset+(at-a.Offset)); err != nil {
				return fmt.Errorf("read %s: %w", b.Name, err)
			}
			if !bytes.Equal(c, o) {
				return fmt.Errorf("%s differs from %s; whisper.cpp ties them", a.Name, b.Name)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// eachChunk calls fn on [off, off+n) of r, chunk bytes at a time, with the
// file offset of each piece. Chunks hold whole elements (chunk is even).
func eachChunk(ctx context.Context, r io.ReaderAt, off, n int64, fn func([]byte, int64) error) error {
	buf := make([]byte, min(n, chunk))
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := buf[:min(n, int64(len(buf)))]
		if _, err := r.ReadAt(c, off); err != nil {
			return fmt.Errorf("read at %d: %w", off, err)
		}
		if err := fn(c, off); err != nil {
			return err
		}
		off += int64(len(c))
		n -= int64(len(c))
	}
	return nil
}

// isZero treats -0 as zero: adding it changes nothing.
func isZero(b []byte, dt DType) bool {
	last := len(b) - 1
	for i, x := range b {
		if i == last && (dt == Float16 || dt == Float32 || dt == BFloat16) {
			x &= 0x7f
		}
		if x != 0 {
			return false
		}
	}
	return true
}
