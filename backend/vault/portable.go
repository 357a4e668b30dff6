package vault

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// exportFormat names the export file's format; exportVersion changes when a
// reader of an older version could not read it.
const (
	exportFormat  = "hoard-export"
	exportVersion = 1
)

type exportHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Schema     int       `json:"schema_version"`
	ExportedAt time.Time `json:"exported_at"`
	Documents  int       `json:"documents"`
}

type exportLine struct {
	Collection *store.Collection `json:"collection,omitempty"`
	Document   *store.Record     `json:"document,omitempty"`
}

// Export writes the whole vault (collections, documents with their text,
// sections, chunks, paths and metadata) to one gzip-compressed JSON-lines
// file. The file is written beside its destination and renamed into place,
// so an interrupted export never leaves a half file under the name.
func (v *Vault) Export(ctx context.Context, file string) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".hoard-export-*")
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := v.WriteExport(ctx, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// WriteExport writes the export to w (Export writes it to a file).
func (v *Vault) WriteExport(ctx context.Context, w io.Writer) (int, error) {
	st, err := v.store.Stats(ctx)
	if err != nil {
		return 0, err
	}
	schema, err := v.store.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: exportFormat, Version: exportVersion, Schema: schema, ExportedAt: time.Now().UTC(), Documents: st.Documents}); err != nil {
		return 0, err
	}
	colls, err := v.store.Collections(ctx)
	if err != nil {
		return 0, err
	}
	for i := range colls {
		if err := enc.Encode(exportLine{Collection: &colls[i]}); err != nil {
			return 0, err
		}
	}
	n := 0
	err = v.store.EachRecord(ctx, func(r store.Record) error {
		n++
		return enc.Encode(exportLine{Document: &r})
	})
	if err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return n, zw.Close()
}

// ImportResult counts what an import did.
type ImportResult struct {
	Added    int `json:"added"`
	Existing int `json:"existing"` // content the vault already had
}

// Import reads an export file into this vault. Each document is added in its
// own transaction; content the vault already has keeps what is stored.
func (v *Vault) Import(ctx context.Context, file string) (ImportResult, error) {
	var res ImportResult
	f, err := os.Open(file)
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return res, fmt.Errorf("import %s: not a Hoard export (%v)", file, err)
	}
	dec := json.NewDecoder(bufio.NewReader(zr))
	var h exportHeader
	if err := dec.Decode(&h); err != nil || h.Format != exportFormat {
		return res, fmt.Errorf("import %s: not a Hoard export", file)
	}
	if h.Version > exportVersion {
		return res, fmt.Errorf("import %s: export format %d is newer than this hoard understands (%d)", file, h.Version, exportVersion)
	}
	for {
		var line exportLine
		err := dec.Decode(&line)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("import %s: %w", file, err)
		}
		switch {
		case line.Collection != nil:
			if err := v.store.SetCollectionWeight(ctx, line.Collection.Name, line.Collection.Weight); err != nil {
				return res, err
			}
		case line.Document != nil:
			rec := *line.Document
			for i := range rec.Chunks {
				ch := &rec.Chunks[i]
				ch.Entities = entityRefs(rec.Title, strings.Split(ch.Heading, " > "), ch.Text)
			}
			added, err := v.store.ImportRecord(ctx, rec)
			if err != nil {
				return res, err
			}
			if added {
				res.Added++
			} else {
				res.Existing++
			}
		}
	}
	v.bin.Refresh()
	_, err = v.updateGists(ctx)
	return res, err
}
