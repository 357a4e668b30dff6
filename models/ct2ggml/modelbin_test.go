package ct2ggml

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// testVar is a variable for a synthetic model.bin; data is generated to
// match dims and dtype unless raw is set.
type testVar struct {
	name  string
	dims  []int
	dtype DType
	data  []byte
}

// ct2File writes a model.bin the way ModelSpec._serialize does.
type ct2File struct {
	version  uint32
	spec     string
	revision uint32
	vars     []testVar
	aliases  [][2]string
}

func (f ct2File) bytes() []byte {
	var b bytes.Buffer
	u32 := func(v uint32) { binary.Write(&b, binary.LittleEndian, v) }
	str := func(s string) {
		binary.Write(&b, binary.LittleEndian, uint16(len(s)+1))
		b.WriteString(s)
		b.WriteByte(0)
	}
	u32(f.version)
	str(f.spec)
	u32(f.revision)
	u32(uint32(len(f.vars)))
	for _, v := range f.vars {
		str(v.name)
		b.WriteByte(byte(len(v.dims)))
		n := 1
		for _, d := range v.dims {
			u32(uint32(d))
			n *= d
		}
		b.WriteByte(byte(v.dtype))
		data := v.data
		if data == nil {
			data = make([]byte, n*v.dtype.Size())
			for i := range data {
				data[i] = byte(i*7 + len(v.name))
			}
		}
		u32(uint32(len(data)))
		b.Write(data)
	}
	u32(uint32(len(f.aliases)))
	for _, a := range f.aliases {
		str(a[0])
		str(a[1])
	}
	return b.Bytes()
}

func smallFile() ct2File {
	return ct2File{
		version: BinaryVersion, spec: "WhisperSpec", revision: 3,
		vars: []testVar{
			{name: "a/weight", dims: []int{2, 3}, dtype: Float16},
			{name: "a/bias", dims: []int{2}, dtype: Float32},
			{name: "num_heads", dtype: Int16, data: []byte{6, 0}},
		},
		aliases: [][2]string{{"b/weight", "a/weight"}},
	}
}

func parseBytes(b []byte) (*Model, error) {
	return Parse(bytes.NewReader(b), int64(len(b)))
}

func TestParse(t *testing.T) {
	b := smallFile().bytes()
	m, err := parseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != BinaryVersion || m.Spec != "WhisperSpec" || m.Revision != 3 || len(m.Variables) != 3 {
		t.Fatalf("header: %+v", m)
	}
	tests := []struct {
		name  string
		dims  []int
		dtype DType
		size  int64
	}{
		{"a/weight", []int{2, 3}, Float16, 12},
		{"a/bias", []int{2}, Float32, 8},
		{"b/weight", []int{2, 3}, Float16, 12}, // via alias
		{"num_heads", []int{}, Int16, 2},
	}
	for _, tc := range tests {
		v, ok := m.Lookup(tc.name)
		if !ok {
			t.Errorf("%s: not found", tc.name)
			continue
		}
		if !shapeIs(v.Dims, tc.dims) || v.DType != tc.dtype || v.Size != tc.size {
			t.Errorf("%s: got %v %s %d", tc.name, v.Dims, v.DType, v.Size)
		}
		if got := b[v.Offset : v.Offset+v.Size]; tc.dtype == Float16 && got[0] != byte(len(v.Name)) {
			t.Errorf("%s: offset %d points at the wrong data", tc.name, v.Offset)
		}
	}
	v, _ := m.Lookup("num_heads")
	if n, err := ReadScalar(bytes.NewReader(b), v); err != nil || n != 6 {
		t.Errorf("num_heads = %d, %v", n, err)
	}
}

func TestParseRejects(t *testing.T) {
	good := smallFile().bytes()
	patch := func(f func(*ct2File)) []byte {
		c := smallFile()
		f(&c)
		return c.bytes()
	}
	// Offsets in the good file: version(4) + spec string(2+12) + revision(4).
	const countAt = 4 + 2 + 12 + 4
	withU32 := func(at int, v uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[at:], v)
		return b
	}
	firstDim := countAt + 4 + 2 + len("a/weight") + 1 + 1
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "unexpected EOF"},
		{"wrong version", patch(func(c *ct2File) { c.version = 5 }), "binary version 5"},
		{"future version", patch(func(c *ct2File) { c.version = 7 }), "binary version 7"},
		{"absurd variable count", withU32(countAt, 0xffffffff), "cannot fit"},
		{"absurd dim", withU32(firstDim, 0xfffffff0), "exceed the file size"},
		{"huge dims product", patch(func(c *ct2File) {
			c.vars[0] = testVar{name: "x", dims: []int{1 << 16, 1 << 16, 1 << 16}, dtype: Float32, data: []byte{}}
		}), "exceed the file size"},
		{"unknown dtype", patch(func(c *ct2File) { c.vars[1].dtype = 9 }), "unknown dtype id 9"},
		{"byte count mismatch", patch(func(c *ct2File) { c.vars[1].data = make([]byte, 4) }), "8)"},
		{"rank too big", patch(func(c *ct2File) { c.vars[0].dims = make([]int, 9) }), "rank 9"},
		{"duplicate name", patch(func(c *ct2File) { c.vars[1].name = "a/weight" }), "appears twice"},
		{"alias to nothing", patch(func(c *ct2File) { c.aliases[0][1] = "nope" }), "unknown variable"},
		{"trailing bytes", append(bytes.Clone(good), 0), "trailing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseBytes(tc.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want ErrFormat mentioning %q", err, tc.want)
			}
		})
	}
	// Every truncation of a valid file must fail cleanly.
	for n := 0; n < len(good); n++ {
		if _, err := parseBytes(good[:n]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	// A NUL-less string.
	b := bytes.Clone(good)
	b[4+2+11] = 'X'
	if _, err := parseBytes(b); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("missing NUL: %v", err)
	}
}

// FuzzParse: whatever the bytes, Parse returns a model or an error, never
// panics, and never claims data beyond the input.
func FuzzParse(f *testing.F) {
	f.Add(smallFile().bytes())
	f.Add(synthWhisper().bytes())
	f.Add([]byte{6, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseBytes(data)
		if err != nil {
			return
		}
		for _, v := range m.Variables {
			if v.Offset < 0 || v.Size < 0 || v.Offset+v.Size > int64(len(data)) {
				t.Fatalf("%s: [%d, +%d) outside %d bytes", v.Name, v.Offset, v.Size, len(data))
			}
		}
	})
}
