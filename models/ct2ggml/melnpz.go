package ct2ggml

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// MelFilters is the mel filterbank matrix whisper.cpp stores in the model
// file: NMel rows of NFFT float32 values, row-major.
type MelFilters struct {
	NMel, NFFT int
	Data       []float32
}

// Bounds for a filterbank: Whisper uses 80 or 128 mels over 201 FFT bins.
const (
	maxMel = 1024
	maxFFT = 8192
)

// ReadMelFilters loads mel_<nMels> from OpenAI's mel_filters.npz, a zip of
// .npy arrays (float32, C order).
func ReadMelFilters(path string, nMels int) (MelFilters, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return MelFilters{}, fmt.Errorf("mel filters: %w", err)
	}
	defer zr.Close()
	want := fmt.Sprintf("mel_%d.npy", nMels)
	for _, f := range zr.File {
		if f.Name != want {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return MelFilters{}, fmt.Errorf("mel filters %s: %w", want, err)
		}
		defer rc.Close()
		m, err := readNpyF32(rc)
		if err != nil {
			return MelFilters{}, fmt.Errorf("mel filters %s in %s: %w", want, path, err)
		}
		if m.NMel != nMels {
			return MelFilters{}, fmt.Errorf("mel filters %s: %d rows, want %d", want, m.NMel, nMels)
		}
		return m, nil
	}
	return MelFilters{}, fmt.Errorf("mel filters: %s has no %s", path, want)
}

var npyShape = regexp.MustCompile(`'shape':\s*\((\d+),\s*(\d+),?\s*\)`)

// readNpyF32 reads a 2-D little-endian float32 .npy array in C order.
func readNpyF32(r io.Reader) (MelFilters, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return MelFilters{}, fmt.Errorf("npy preamble: %w", err)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return MelFilters{}, errors.New("not a .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return MelFilters{}, fmt.Errorf("npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return MelFilters{}, fmt.Errorf("npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return MelFilters{}, fmt.Errorf("npy format version %d not supported", pre[6])
	}
	if hlen > 1<<16 {
		return MelFilters{}, fmt.Errorf("npy header of %d bytes is implausible", hlen)
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(r, h); err != nil {
		return MelFilters{}, fmt.Errorf("npy header: %w", err)
	}
	header := string(h)
	if !strings.Contains(header, `'descr': '<f4'`) {
		return MelFilters{}, fmt.Errorf("npy dtype is not little-endian float32: %s", strings.TrimSpace(header))
	}
	if !strings.Contains(header, `'fortran_order': False`) {
		return MelFilters{}, errors.New("npy array is in Fortran order")
	}
	sm := npyShape.FindStringSubmatch(header)
	if sm == nil {
		return MelFilters{}, fmt.Errorf("npy shape is not 2-D: %s", strings.TrimSpace(header))
	}
	rows, err1 := strconv.Atoi(sm[1])
	cols, err2 := strconv.Atoi(sm[2])
	if err1 != nil || err2 != nil || rows <= 0 || cols <= 0 || rows > maxMel || cols > maxFFT {
		return MelFilters{}, fmt.Errorf("npy shape (%s, %s) out of range", sm[1], sm[2])
	}
	raw := make([]byte, rows*cols*4)
	if _, err := io.ReadFull(r, raw); err != nil {
		return MelFilters{}, fmt.Errorf("npy data: %w", err)
	}
	m := MelFilters{NMel: rows, NFFT: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return m, nil
}
