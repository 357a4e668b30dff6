package extract

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
)

type zipLimits struct {
	maxBytes   int64
	maxEntries int
}

// zipReader reads members of a zip container while counting every byte it
// decompresses against one budget, so a zip bomb stops at the cap.
type zipReader struct {
	zr     *zip.Reader
	budget int64
	files  map[string]*zip.File
}

func openZip(data []byte, l zipLimits) (*zipReader, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(zr.File) > l.maxEntries {
		return nil, fmt.Errorf("%w: %d zip entries, the limit is %d", ErrTooLarge, len(zr.File), l.maxEntries)
	}
	z := &zipReader{zr: zr, budget: l.maxBytes, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		z.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return z, nil
}

func (z *zipReader) has(name string) bool { _, ok := z.files[name]; return ok }

func (z *zipReader) read(name string) ([]byte, error) {
	f, ok := z.files[name]
	if !ok {
		return nil, fmt.Errorf("%w: missing %s", ErrCorrupt, name)
	}
	if f.Flags&0x1 != 0 {
		return nil, fmt.Errorf("%w: %s is encrypted", ErrEncrypted, name)
	}
	if int64(f.UncompressedSize64) > z.budget {
		return nil, fmt.Errorf("%w: %s expands to %d MiB, over the decompression limit", ErrTooLarge, name, f.UncompressedSize64>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	defer rc.Close()
	// The declared size can lie; the reader is capped independently.
	b, err := io.ReadAll(io.LimitReader(rc, z.budget+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	if int64(len(b)) > z.budget {
		return nil, fmt.Errorf("%w: %s decompresses past the limit (zip bomb?)", ErrTooLarge, name)
	}
	z.budget -= int64(len(b))
	return b, nil
}

// resolve joins a relative reference inside the container.
func resolve(base, ref string) string {
	if i := strings.IndexAny(ref, "#?"); i >= 0 {
		ref = ref[:i]
	}
	return path.Clean(path.Join(path.Dir(base), ref))
}

func detectZip(data []byte) (Format, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("%w: bad zip container: %v", ErrCorrupt, err)
	}
	for _, f := range zr.File {
		if f.Name == "mimetype" && f.UncompressedSize64 < 256 {
			rc, err := f.Open()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(io.LimitReader(rc, 256))
			rc.Close()
			switch strings.TrimSpace(string(b)) {
			case string(FormatEPUB):
				return FormatEPUB, nil
			case string(FormatODT):
				return FormatODT, nil
			default:
				return "", fmt.Errorf("%w (%s)", ErrUnsupported, strings.TrimSpace(string(b)))
			}
		}
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			return FormatDOCX, nil
		}
	}
	return "", fmt.Errorf("%w (zip archive)", ErrUnsupported)
}
