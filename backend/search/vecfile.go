package search

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/hoardvault/hoard/backend/store"
)

// The index saved next to the vault, so that a start reads it in one
// sequential pass (about half a second at a million vectors) instead of
// reading every row from SQLite (several seconds) before it answers from
// memory. It is a copy, never the truth: the store's stamp when it was
// taken says whether it still matches the rows, and a checksum whether the
// file is whole. One that does not match is ignored and rewritten.
//
// Layout, little endian: the header, then ids, collections, sign bits,
// int8 codes, scales, and, with a partition, its centroids, their sign
// bits and each row's list; a CRC-32C of everything before it last.

const (
	sidecarMagic   = "HOARDVX1"
	sidecarVersion = 1
)

// sidecarHeader is the file's fixed part.
type sidecarHeader struct {
	Magic   [8]byte
	Version uint32
	Dims    uint32
	Words   uint32
	_       uint32
	Rows    int64
	// The stamp of the store the rows matched: rows, latest write batch,
	// in-place changes.
	StampRows, StampAdded, StampChanges int64
	// The partition (K1 0: none), and the size it was trained at.
	K1, K2, Nprobe uint32
	_              uint32
	TrainedAt      int64
}

// vectorStamper is a source that can say which state its rows are in
// (the store); the saved index is used only with one.
type vectorStamper interface {
	VectorStamp(ctx context.Context) (store.VectorStamp, error)
}

// bytesOf views a slice's elements as bytes, to read or write them in one
// call (the file is little endian, as every platform Hoard ships on).
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Save writes the index to the Sidecar file (through a temporary file, so
// a reader never sees half of one). It saves only a complete index that
// matched the store when last checked; otherwise it does nothing.
func (x *VectorIndex) Save(ctx context.Context) error {
	if x.Sidecar == "" || !littleEndian {
		return nil
	}
	x.mu.RLock()
	if !x.loaded || x.stale || x.loading || !x.stamped {
		x.mu.RUnlock()
		return nil
	}
	gen := x.gen
	v, h := x.v, sidecarHeader{Version: sidecarVersion, Dims: uint32(x.v.dims), Words: uint32(x.v.words), Rows: int64(x.v.len()),
		StampRows: int64(x.v.len()), StampAdded: x.added, StampChanges: x.changes, TrainedAt: int64(x.trainedAt)}
	copy(h.Magic[:], sidecarMagic)
	var cent []float32
	var signs []uint64
	var listOf []int32
	if p := x.part; p != nil {
		h.K1, h.K2, h.Nprobe = uint32(p.k1), uint32(p.k2), uint32(p.nprobe)
		cent, signs = p.cent, p.signs
		listOf = make([]int32, v.len())
		for l, rows := range p.lists {
			for _, r := range rows {
				listOf[r] = int32(l)
			}
		}
	}
	x.mu.RUnlock()

	x.saveMu.Lock()
	defer x.saveMu.Unlock()
	// Left by a save that did not finish (the process ended).
	dir, base := filepath.Split(x.Sidecar)
	if es, err := os.ReadDir(dir); err == nil {
		for _, e := range es {
			if n := e.Name(); strings.HasPrefix(n, base+".") && strings.HasSuffix(n, ".tmp") {
				os.Remove(filepath.Join(dir, n))
			}
		}
	}
	f, err := os.CreateTemp(dir, base+".*.tmp")
	if err != nil {
		return fmt.Errorf("save the vector index: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename, nothing to remove
	defer f.Close()
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	w := bufio.NewWriterSize(io.MultiWriter(f, crc), 1<<20)
	if err := binary.Write(w, binary.LittleEndian, &h); err != nil {
		return fmt.Errorf("save the vector index: %w", err)
	}
	for _, b := range [][]byte{bytesOf(v.ids), bytesOf(v.colls), bytesOf(v.bits), bytesOf(v.codes), bytesOf(v.scales),
		bytesOf(cent), bytesOf(signs), bytesOf(listOf)} {
		for len(b) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(len(b), 4<<20)
			if _, err := w.Write(b[:n]); err != nil {
				return fmt.Errorf("save the vector index: %w", err)
			}
			b = b[n:]
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("save the vector index: %w", err)
	}
	if err := binary.Write(f, binary.LittleEndian, crc.Sum32()); err != nil {
		return fmt.Errorf("save the vector index: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save the vector index: %w", err)
	}
	if err := os.Rename(tmp, x.Sidecar); err != nil {
		return fmt.Errorf("save the vector index: %w", err)
	}
	x.mu.Lock()
	if x.gen == gen { // what is held is still what was saved, and more
		x.savedRows, x.savedPart = int(h.Rows), h.K1 > 0
	}
	x.mu.Unlock()
	return nil
}

// errSidecar is a saved index that cannot be used.
var errSidecar = errors.New("saved vector index does not match")

// openSidecar reads the saved index when its stamp allows (x.mu held, the
// index empty). A file whose rows are a prefix of the store's (only rows
// added since) is used and marked stale, so the next step reads just the
// new rows; anything else leaves the index empty.
func (x *VectorIndex) openSidecar(ctx context.Context) error {
	sp, ok := x.src.(vectorStamper)
	if x.Sidecar == "" || !ok || !littleEndian {
		return errSidecar
	}
	f, err := os.Open(x.Sidecar)
	if err != nil {
		return err
	}
	defer f.Close()
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	r := io.TeeReader(bufio.NewReaderSize(f, 1<<20), crc)
	var h sidecarHeader
	if err := binary.Read(r, binary.LittleEndian, &h); err != nil {
		return fmt.Errorf("%w: %w", errSidecar, err)
	}
	if string(h.Magic[:]) != sidecarMagic || h.Version != sidecarVersion || h.Dims == 0 || h.Words == 0 ||
		h.Rows < 0 || h.Rows != h.StampRows || h.K1*h.K2 > 1<<20 {
		return fmt.Errorf("%w: header", errSidecar)
	}
	stamp, err := sp.VectorStamp(ctx)
	if err != nil {
		return err
	}
	// Rows changed in place, or fewer rows, or an older batch: the file is
	// of another state than any the store can reach by adding rows.
	if stamp.Changes != h.StampChanges || int64(stamp.Rows) < h.StampRows || stamp.Added < h.StampAdded {
		return fmt.Errorf("%w: stale", errSidecar)
	}
	// The size the file must have, before allocating for it.
	n, d, w, nl := int(h.Rows), int(h.Dims), int(h.Words), int(h.K1*h.K2)
	want := int64(binary.Size(h)) + int64(n)*(8+8+8*int64(w)+int64(d)+4) + 4
	if nl > 0 {
		want += int64(nl)*(4*int64(d)+8*int64(w)) + 4*int64(n)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != want {
		return fmt.Errorf("%w: size", errSidecar)
	}
	v := vecs{dims: d, words: w, ids: make([]int64, n), colls: make([]int64, n),
		bits: make([]uint64, n*w), codes: make([]int8, n*d), scales: make([]float32, n)}
	v.adviseHuge()
	var p *partition
	var listOf []int32
	parts := [][]byte{bytesOf(v.ids), bytesOf(v.colls), bytesOf(v.bits), bytesOf(v.codes), bytesOf(v.scales)}
	if nl > 0 {
		p = &partition{dims: d, k1: int(h.K1), k2: int(h.K2), nprobe: int(h.Nprobe),
			cent: make([]float32, nl*d), signs: make([]uint64, nl*w)}
		listOf = make([]int32, n)
		parts = append(parts, bytesOf(p.cent), bytesOf(p.signs), bytesOf(listOf))
	}
	if err := readParts(ctx, r, parts); err != nil {
		return fmt.Errorf("%w: %w", errSidecar, err)
	}
	if err := checkSum(f, crc); err != nil {
		return err
	}
	perColl := map[int64]int{}
	for _, c := range v.colls {
		perColl[c]++
	}
	if p != nil {
		p.lists = make([][]int32, nl)
		for i, l := range listOf {
			if l < 0 || int(l) >= nl {
				return fmt.Errorf("%w: list %d", errSidecar, l)
			}
			p.lists[l] = append(p.lists[l], int32(i))
		}
	}
	x.v, x.perColl, x.part = v, perColl, p
	x.added, x.changes, x.stamped = h.StampAdded, h.StampChanges, true
	x.trainedAt = int(h.TrainedAt)
	x.loaded = true
	x.stale = int64(stamp.Rows) != h.StampRows || stamp.Added != h.StampAdded
	x.savedRows, x.savedPart = n, p != nil
	return nil
}

// readParts fills each buffer from r in turn.
func readParts(ctx context.Context, r io.Reader, parts [][]byte) error {
	for _, b := range parts {
		for len(b) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(len(b), 4<<20)
			if _, err := io.ReadFull(r, b[:n]); err != nil {
				return err
			}
			b = b[n:]
		}
	}
	return nil
}

// checkSum reads the file's last four bytes (past what crc has seen) and
// compares them with the checksum.
func checkSum(f *os.File, crc hash.Hash32) error {
	var sum [4]byte
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.ReadAt(sum[:], fi.Size()-4); err != nil {
		return fmt.Errorf("%w: %w", errSidecar, err)
	}
	if binary.LittleEndian.Uint32(sum[:]) != crc.Sum32() {
		return fmt.Errorf("%w: checksum", errSidecar)
	}
	return nil
}
