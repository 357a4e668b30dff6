package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tmpPrefix names the files an upload is written to before it has come
// whole; only then do they get their names.
const tmpPrefix = ".upload-"

// received is one file of an upload, under its temporary name.
type received struct {
	tmp, name string
}

// bodyError is a failure of the client's body (too large, too slow, cut
// off), told apart from the disk's.
type bodyError struct{ err error }

func (e bodyError) Error() string { return e.err.Error() }
func (e bodyError) Unwrap() error { return e.err }

// readTracker keeps the last read error of a copy.
type readTracker struct {
	r   io.Reader
	err error
}

func (t *readTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// receive writes one part of an upload to a temporary file in dir. The
// name's extension stays: decoders go by it.
func receive(dir, name string, part io.Reader) (received, error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*"+filepath.Ext(name))
	if err != nil {
		return received{}, fmt.Errorf("save upload %s: %w", name, err)
	}
	src := &readTracker{r: part}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		if src.err != nil {
			return received{}, bodyError{src.err}
		}
		return received{}, fmt.Errorf("save upload %s: %w", name, err)
	}
	return received{tmp: f.Name(), name: name}, nil
}

// bodyEnd reads what follows the last part: a body shorter than it said,
// or one over the limit, fails here even when its parts came whole.
func bodyEnd(r *http.Request) error {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return bodyError{err}
	}
	return nil
}

// failUpload answers an upload that failed: the body's fault (413, 408,
// 400) or the server's.
func (s *Server) failUpload(w http.ResponseWriter, r *http.Request, err error) {
	var be bodyError
	if errors.As(err, &be) {
		s.failBody(w, be.err)
		return
	}
	s.fail(w, r, err)
}

// claim gives a received file its name in dir, never over another file:
// "a.pdf" becomes "a (2).pdf" when the name is taken.
func claim(dir string, f received) (string, error) {
	ext := filepath.Ext(f.name)
	stem := strings.TrimSuffix(f.name, ext)
	for i := 1; ; i++ {
		p := filepath.Join(dir, f.name)
		if i > 1 {
			p = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", stem, i, ext))
		}
		err := os.Link(f.tmp, p)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			// No hard links on this file system (FAT): take the name if free.
			if _, serr := os.Lstat(p); serr == nil {
				continue
			}
			if err := os.Rename(f.tmp, p); err != nil {
				return "", fmt.Errorf("save upload %s: %w", f.name, err)
			}
			return p, nil
		}
		os.Remove(f.tmp)
		return p, nil
	}
}

// sweepUploads removes what uploads cut off by a crash left: temporary
// files not written for BodyStall, which no live upload is (it would have
// been cut off).
func (s *Server) sweepUploads() {
	dirs := []string{s.v.Dir()}
	if days, err := os.ReadDir(s.v.UploadsDir()); err == nil {
		for _, d := range days {
			if d.IsDir() {
				dirs = append(dirs, filepath.Join(s.v.UploadsDir(), d.Name()))
			}
		}
	}
	cutoff := time.Now().Add(-s.opt.Limits.BodyStall)
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), tmpPrefix) || !e.Type().IsRegular() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if fi, err := e.Info(); err != nil || fi.ModTime().After(cutoff) {
				continue
			}
			if err := os.Remove(p); err != nil {
				s.log.Warn("what a cut-off upload left is not removed", "path", p, "err", err)
			} else {
				s.log.Info("removed what a cut-off upload left", "path", p)
			}
		}
	}
}
