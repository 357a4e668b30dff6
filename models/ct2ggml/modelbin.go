package ct2ggml

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// BinaryVersion is the only model.bin layout this parser reads: the one
// CTranslate2's ModelSpec._serialize has written since version 6 (spec name,
// revision, variables, then aliases). Older layouts differ in their header.
const BinaryVersion = 6

// DType is CTranslate2's DataType enum, in the order of
// include/ctranslate2/types.h (and _dtype_to_type_id in model_spec.py).
type DType uint8

const (
	Float32 DType = iota
	Int8
	Int16
	Int32
	Float16
	BFloat16
)

// Size is the byte width of one element, 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case Int8:
		return 1
	case Int16, Float16, BFloat16:
		return 2
	case Float32, Int32:
		return 4
	}
	return 0
}

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int8:
		return "int8"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float16:
		return "float16"
	case BFloat16:
		return "bfloat16"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Limits that keep a hostile header from driving allocations. Real Whisper
// models have ranks <= 3 and a few hundred variables; the caps leave room.
const (
	maxRank  = 8
	maxCount = 1 << 20
)

// ErrFormat is wrapped by every error about a malformed model.bin.
var ErrFormat = errors.New("ct2ggml: malformed CTranslate2 model.bin")

// Variable is one tensor (or scalar) in model.bin. The data is not loaded:
// Offset and Size locate it in the file so large weights can be streamed.
type Variable struct {
	Name   string
	Dims   []int
	DType  DType
	Offset int64
	Size   int64
}

// Elements is the product of Dims (1 for a scalar).
func (v Variable) Elements() int64 {
	n := int64(1)
	for _, d := range v.Dims {
		n *= int64(d)
	}
	return n
}

// Model is the index of a parsed model.bin.
type Model struct {
	Version   uint32
	Spec      string
	Revision  uint32
	Variables []Variable
	// Aliases maps an alias name to the variable name it stands for
	// (CTranslate2 stores tied weights once, e.g. decoder/projection/weight).
	Aliases map[string]string

	byName map[string]int
}

// Lookup finds a variable by name, following one level of alias.
func (m *Model) Lookup(name string) (Variable, bool) {
	if target, ok := m.Aliases[name]; ok {
		name = target
	}
	i, ok := m.byName[name]
	if !ok {
		return Variable{}, false
	}
	return m.Variables[i], true
}

// Parse reads the index of a CTranslate2 model.bin of the given size. Every
// count and length is checked against what is left of the file before it is
// used, so a truncated or hostile file gives an error wrapping ErrFormat.
func Parse(r io.ReaderAt, size int64) (*Model, error) {
	p := &parser{r: r, size: size}
	m, err := p.model()
	if err != nil {
		return nil, fmt.Errorf("%w: at byte %d: %w", ErrFormat, p.off, err)
	}
	return m, nil
}

type parser struct {
	r    io.ReaderAt
	size int64
	off  int64
	buf  [8]byte
}

func (p *parser) model() (*Model, error) {
	version, err := p.u32()
	if err != nil {
		return nil, err
	}
	if version != BinaryVersion {
		return nil, fmt.Errorf("binary version %d is not supported (only %d)", version, BinaryVersion)
	}
	m := &Model{Version: version, Aliases: map[string]string{}, byName: map[string]int{}}
	if m.Spec, err = p.str(); err != nil {
		return nil, fmt.Errorf("spec name: %w", err)
	}
	if m.Revision, err = p.u32(); err != nil {
		return nil, err
	}
	// The smallest variable record is a 1-char name (2+2 bytes), rank,
	// dtype and byte count: 10 bytes.
	n, err := p.count(10)
	if err != nil {
		return nil, fmt.Errorf("variable count: %w", err)
	}
	// n is bounded by the file size; still, grow rather than trust it.
	m.Variables = make([]Variable, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		v, err := p.variable()
		if err != nil {
			return nil, fmt.Errorf("variable %d: %w", i, err)
		}
		if _, dup := m.byName[v.Name]; dup {
			return nil, fmt.Errorf("variable %q appears twice", v.Name)
		}
		m.byName[v.Name] = len(m.Variables)
		m.Variables = append(m.Variables, v)
	}
	// An alias record is two strings of at least one char each: 8 bytes.
	na, err := p.count(8)
	if err != nil {
		return nil, fmt.Errorf("alias count: %w", err)
	}
	for i := 0; i < na; i++ {
		alias, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("alias %d: %w", i, err)
		}
		target, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("alias %q: %w", alias, err)
		}
		if _, ok := m.byName[target]; !ok {
			return nil, fmt.Errorf("alias %q names unknown variable %q", alias, target)
		}
		if _, clash := m.byName[alias]; clash {
			return nil, fmt.Errorf("alias %q is also a variable", alias)
		}
		m.Aliases[alias] = target
	}
	if p.off != p.size {
		return nil, fmt.Errorf("%d trailing bytes after the aliases", p.size-p.off)
	}
	return m, nil
}

func (p *parser) variable() (Variable, error) {
	var v Variable
	var err error
	if v.Name, err = p.str(); err != nil {
		return v, fmt.Errorf("name: %w", err)
	}
	rank, err := p.u8()
	if err != nil {
		return v, err
	}
	if rank > maxRank {
		return v, fmt.Errorf("%s: rank %d exceeds %d", v.Name, rank, maxRank)
	}
	v.Dims = make([]int, rank)
	elems := uint64(1)
	for i := range v.Dims {
		d, err := p.u32()
		if err != nil {
			return v, fmt.Errorf("%s: dims: %w", v.Name, err)
		}
		v.Dims[i] = int(d)
		// Bound the product by the file size so it cannot overflow.
		if d != 0 && elems > uint64(p.size)/uint64(d) {
			return v, fmt.Errorf("%s: dims %v exceed the file size", v.Name, v.Dims[:i+1])
		}
		elems *= uint64(d)
	}
	dt, err := p.u8()
	if err != nil {
		return v, err
	}
	v.DType = DType(dt)
	if v.DType.Size() == 0 {
		return v, fmt.Errorf("%s: unknown dtype id %d", v.Name, dt)
	}
	nbytes, err := p.u32()
	if err != nil {
		return v, err
	}
	if want := elems * uint64(v.DType.Size()); uint64(nbytes) != want {
		return v, fmt.Errorf("%s: %d bytes for %v %s (want %d)", v.Name, nbytes, v.Dims, v.DType, want)
	}
	if int64(nbytes) > p.size-p.off {
		return v, fmt.Errorf("%s: %d data bytes but only %d left: %w", v.Name, nbytes, p.size-p.off, io.ErrUnexpectedEOF)
	}
	v.Offset, v.Size = p.off, int64(nbytes)
	p.off += int64(nbytes)
	return v, nil
}

// count reads a uint32 count and checks that count records of at least
// minRecord bytes each could fit in the rest of the file.
func (p *parser) count(minRecord int64) (int, error) {
	n, err := p.u32()
	if err != nil {
		return 0, err
	}
	if n > maxCount || int64(n)*minRecord > p.size-p.off {
		return 0, fmt.Errorf("count %d cannot fit in the %d bytes left", n, p.size-p.off)
	}
	return int(n), nil
}

// str reads CTranslate2's string: uint16 length including a trailing NUL.
func (p *parser) str() (string, error) {
	if err := p.read(2); err != nil {
		return "", err
	}
	n := int64(binary.LittleEndian.Uint16(p.buf[:2]))
	if n == 0 {
		return "", errors.New("string length 0 (no NUL terminator)")
	}
	if n > p.size-p.off {
		return "", fmt.Errorf("string of %d bytes but only %d left: %w", n, p.size-p.off, io.ErrUnexpectedEOF)
	}
	b := make([]byte, n) // n <= 65535
	if _, err := p.r.ReadAt(b, p.off); err != nil {
		return "", fmt.Errorf("read string: %w", err)
	}
	p.off += n
	if b[n-1] != 0 {
		return "", errors.New("string is not NUL-terminated")
	}
	return string(b[:n-1]), nil
}

func (p *parser) u8() (uint8, error) {
	if err := p.read(1); err != nil {
		return 0, err
	}
	return p.buf[0], nil
}

func (p *parser) u32() (uint32, error) {
	if err := p.read(4); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p.buf[:4]), nil
}

func (p *parser) read(n int) error {
	if int64(n) > p.size-p.off {
		return io.ErrUnexpectedEOF
	}
	if _, err := p.r.ReadAt(p.buf[:n], p.off); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	p.off += int64(n)
	return nil
}

// ReadScalar returns the value of an integer scalar variable (e.g.
// encoder/num_heads, stored as int16).
func ReadScalar(r io.ReaderAt, v Variable) (int64, error) {
	if len(v.Dims) != 0 {
		return 0, fmt.Errorf("%s: not a scalar (dims %v)", v.Name, v.Dims)
	}
	var b [4]byte
	n := v.DType.Size()
	if _, err := r.ReadAt(b[:n], v.Offset); err != nil {
		return 0, fmt.Errorf("%s: %w", v.Name, err)
	}
	switch v.DType {
	case Int8:
		return int64(int8(b[0])), nil
	case Int16:
		return int64(int16(binary.LittleEndian.Uint16(b[:2]))), nil
	case Int32:
		return int64(int32(binary.LittleEndian.Uint32(b[:4]))), nil
	case Float32:
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[:4]))
		if f != float32(int64(f)) {
			return 0, fmt.Errorf("%s: %v is not an integer", v.Name, f)
		}
		return int64(f), nil
	}
	return 0, fmt.Errorf("%s: %s scalar not supported", v.Name, v.DType)
}
