package store

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strings"
	"testing"
)

// stdUnpack is the standard library's reading of a packed text: the n
// bytes its stream inflates to, after the dictionary if it has one.
func stdUnpack(b []byte, dicts *dictionaries) (string, error) {
	id, has, n, body, err := packedHeader(b)
	if err != nil {
		return "", err
	}
	var r io.ReadCloser
	if has {
		d, err := dicts.get(int64(id))
		if err != nil {
			return "", err
		}
		r = flate.NewReaderDict(bytes.NewReader(body), d.data)
	} else {
		r = flate.NewReader(bytes.NewReader(body))
	}
	var sb strings.Builder
	_, err = io.CopyN(&sb, r, int64(n))
	return sb.String(), err
}

// testDicts are dictionaries held in memory: a short one, and one longer
// than a stored block (65,535 bytes) and than deflate's window, which the
// writer reads only the end of.
func testDicts(passages []string) *dictionaries {
	long := strings.Join(passages, " ")
	for len(long) < 80_000 {
		long += long
	}
	return &dictionaries{byID: map[int64]*dictionary{
		1: {id: 1, data: []byte(long[:16<<10])},
		2: {id: 2, data: []byte(long[:80_000])},
	}}
}

// libdeflate reads back every packed text as the standard library does,
// with a dictionary framed ahead of its stream or without one, and
// refuses a stream whose length is not the one its header says.
func TestInflateAsTheStandardLibrary(t *testing.T) {
	passages := docsText(t)
	dicts := testDicts(passages)
	for _, tc := range []struct {
		name string
		dict *dictionary
	}{{"no dictionary", nil}, {"a dictionary", dicts.byID[1]}, {"a dictionary over a stored block", dicts.byID[2]}} {
		t.Run(tc.name, func(t *testing.T) {
			var p packer
			packed := 0
			for i, text := range passages {
				// Alternate dictionaries, so an inflater framing one
				// must notice the other.
				d := tc.dict
				if d != nil && i%3 == 0 {
					d = dicts.byID[3-d.id]
				}
				b, ok := p.packWith(text, d).([]byte)
				if !ok {
					continue
				}
				packed++
				got, err := unpackText(b, dicts)
				want, werr := stdUnpack(b, dicts)
				if err != nil || werr != nil || got != want || got != text {
					t.Fatalf("passage %d: %v / %v, equal to the standard library's %v, to the text %v", i, err, werr, got == want, got == text)
				}
				// Say a byte more and a byte less than the stream holds.
				for _, delta := range []int{1, -1} {
					_, _, n, body, _ := packedHeader(b)
					if _, err := inflate(body, dictBytes(d), int(n)+delta); !errors.Is(err, errPacked) {
						t.Fatalf("passage %d with its length %+d: %v, want %v", i, delta, err, errPacked)
					}
				}
				if _, err := unpackText(b[:len(b)-len(b)/3], dicts); !errors.Is(err, errPacked) {
					t.Fatalf("passage %d cut short: %v, want %v", i, err, errPacked)
				}
			}
			if packed < len(passages)*3/4 {
				t.Fatalf("only %d of %d passages packed", packed, len(passages))
			}
		})
	}
}

func dictBytes(d *dictionary) []byte {
	if d == nil {
		return nil
	}
	return d.data
}

// Whatever bytes a packed value holds, libdeflate gives an error wrapping
// errPacked or the text the standard library reads from it, and a text
// packed reads back as itself.
func FuzzUnpackText(f *testing.F) {
	var p packer
	prose := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 5)
	dicts := &dictionaries{byID: map[int64]*dictionary{1: {id: 1, data: []byte("the lazy dog jumps over the quick brown fox")}}}
	for _, d := range []*dictionary{nil, dicts.byID[1]} {
		b, _ := p.packWith(prose, d).([]byte)
		f.Add(b, prose)
	}
	f.Add([]byte{packDeflate, 5, 0x01, 0x02}, "")
	f.Add([]byte{packDict, 1, 3, 0xff}, "")
	f.Fuzz(func(t *testing.T, b []byte, text string) {
		if id, has, _, _, err := packedHeader(b); err == nil && has && id != 1 {
			return // another dictionary would be read from a store; these are in memory only
		}
		got, err := unpackText(b, dicts)
		if err != nil {
			if !errors.Is(err, errPacked) {
				t.Fatalf("error %v does not wrap errPacked", err)
			}
		} else if want, werr := stdUnpack(b, dicts); werr != nil || want != got {
			t.Fatalf("libdeflate read %q, the standard library %q (%v)", got, want, werr)
		}
		for _, d := range []*dictionary{nil, dicts.byID[1]} {
			if v, ok := p.packWith(text, d).([]byte); ok {
				if back, err := unpackText(v, dicts); err != nil || back != text {
					t.Fatalf("packed %q read back %q, %v", text, back, err)
				}
			}
		}
	})
}
