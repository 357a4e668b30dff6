package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/store"
)

// defaultReadTimeout bounds reading one file: a hung network share or a
// device fails that file (for a retry), not the run.
const defaultReadTimeout = 2 * time.Minute

// A file is read when it has been quiet for quiet: one changed more
// recently may be half written (a writer stalled mid-write leaves no other
// trace). One still changing after rereads tries is left for a retry.
const (
	quiet   = 100 * time.Millisecond
	rereads = 6
)

// errSpecial: a named pipe, socket or device is not a document; reading one
// can block for ever or never end.
var errSpecial = errors.New("not a regular file")

// specialError says what kind of special file fi is, for the user.
func specialError(fi fs.FileInfo) error {
	kind := "special file"
	switch m := fi.Mode(); {
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeDevice != 0:
		kind = "device"
	}
	return fmt.Errorf("a %s, %w: not read", kind, errSpecial)
}

// regular refuses what is not a regular file (a folder, a pipe, a socket, a
// device) without opening it.
func regular(fi fs.FileInfo) error {
	switch {
	case fi.IsDir():
		return errors.New("is a folder")
	case !fi.Mode().IsRegular():
		return specialError(fi)
	}
	return nil
}

func (s *Service) readTimeout() time.Duration {
	if s.cfg.ReadTimeout > 0 {
		return s.cfg.ReadTimeout
	}
	return defaultReadTimeout
}

// readFile reads a regular file whole. What cannot be a document is
// refused before it is opened, what cannot fit the limits before it is read;
// a read is bounded in time; a file rewritten while it was read is read
// again, so no torn version is stored.
func (s *Service) readFile(ctx context.Context, path string, src *store.Source) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.readTimeout())
	defer cancel()
	for range rereads {
		data, same, err := s.readOnce(ctx, path, src)
		if err != nil || same {
			return data, err
		}
		select {
		case <-time.After(quiet / 2): // let the writer finish
		case <-ctx.Done():
			return nil, s.readDone(ctx)
		}
	}
	return nil, fmt.Errorf("%w: the file kept changing while it was read", errTransient)
}

// readDone explains why a read stopped: its time ran out (worth a retry),
// or the run was stopped.
func (s *Service) readDone(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: reading took longer than %s", errTransient, s.readTimeout())
	}
	return ctx.Err()
}

// readOnce reads path once; same is false when the file changed meanwhile
// (its size, modification or change time moved) or just before.
func (s *Service) readOnce(ctx context.Context, path string, src *store.Source) (data []byte, same bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, statError(err)
	}
	if err := regular(fi); err != nil {
		return nil, false, err
	}
	if err := s.cfg.Registry.CheckSize(path, nil, fi.Size()); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, false, statError(err)
	}
	defer f.Close()
	// What was opened is checked again: the path may have been swapped.
	before, err := f.Stat()
	if err != nil {
		return nil, false, statError(err)
	}
	if err := regular(before); err != nil {
		return nil, false, err
	}
	if ct := changeTime(before); ct != 0 {
		// A time in the future (a skewed clock) is no sign of a writer.
		if age := time.Since(time.Unix(0, ct)); age >= 0 && age < quiet {
			return nil, false, nil
		}
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := s.readAll(f, path, before.Size())
		done <- result{data, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// A read stuck in the kernel is left behind; closing the file
		// releases it where the system can.
		f.Close()
		return nil, false, s.readDone(ctx)
	}
	if r.err != nil {
		return nil, false, r.err
	}
	after, err := f.Stat()
	if err != nil {
		return nil, false, statError(err)
	}
	src.MTime = before.ModTime().Unix()
	src.CTime = changeTime(before)
	same = int64(len(r.data)) == before.Size() && after.Size() == before.Size() &&
		after.ModTime().Equal(before.ModTime()) && changeTime(after) == changeTime(before)
	return r.data, same, nil
}

// readAll reads f, expected to hold size bytes, into one buffer of that
// size: no doubling as it grows, and the size limit checked on what it
// holds first.
func (s *Service) readAll(f *os.File, path string, size int64) ([]byte, error) {
	head := make([]byte, min(size, extract.HeadBytes))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) { // shorter: it shrank
		return nil, fmt.Errorf("read: %w", err)
	}
	head = head[:n]
	if err := s.cfg.Registry.CheckSize(path, head, size); err != nil {
		return nil, err
	}
	data := make([]byte, size+1) // one more: to see a file that grew
	copy(data, head)
	m, err := io.ReadFull(f, data[n:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	data = data[:n+m]
	if int64(len(data)) > s.cfg.Limits.MaxFileBytes {
		return nil, fmt.Errorf("%w: the file grew past the limit while being read", extract.ErrTooLarge)
	}
	return data, nil
}
