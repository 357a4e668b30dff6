package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hoardvault/hoard/backend/portable"
	"github.com/hoardvault/hoard/backend/speech"
	"github.com/hoardvault/hoard/backend/store"
)

// The export file's options and results are package portable's.
type (
	ExportOptions = portable.ExportOptions
	ImportOptions = portable.ImportOptions
	ImportLimits  = portable.ImportLimits
	ImportResult  = portable.ImportResult
)

// Export writes the whole vault to one portable file (portable.ExportFile).
func (v *Vault) Export(ctx context.Context, file string) (int, error) {
	return v.ExportWith(ctx, file, ExportOptions{})
}

// ExportWith is Export with options.
func (v *Vault) ExportWith(ctx context.Context, file string, opt ExportOptions) (int, error) {
	return portable.ExportFile(ctx, v.store, file, opt)
}

// WriteExport writes the export to w (Export writes it to a file).
func (v *Vault) WriteExport(ctx context.Context, w io.Writer) (int, error) {
	return portable.Export(ctx, v.store, w, ExportOptions{})
}

// Import reads an export file into this vault: all of it, or nothing
// (portable.Import).
func (v *Vault) Import(ctx context.Context, file string) (ImportResult, error) {
	return v.ImportWith(ctx, file, ImportOptions{})
}

// ImportWith is Import with options.
func (v *Vault) ImportWith(ctx context.Context, file string, opt ImportOptions) (ImportResult, error) {
	return portable.ImportFile(ctx, v.store, importTarget{v}, file, opt)
}

// ImportFrom reads an export from r.
func (v *Vault) ImportFrom(ctx context.Context, r io.Reader, opt ImportOptions) (ImportResult, error) {
	return portable.Import(ctx, v.store, importTarget{v}, r, opt)
}

// importTarget is what an import asks of the vault beyond its store.
type importTarget struct{ v *Vault }

func (t importTarget) Entities(title string, headings []string, text string) []store.EntityRef {
	return entityRefs(title, headings, text)
}

// Imported brings the vault's own state up to what the import committed.
func (t importTarget) Imported(ctx context.Context, res ImportResult) error {
	v := t.v
	v.bin.Refresh()
	if res.Watched > 0 {
		v.kickWatch()
	}
	if res.Vectors > 0 && v.nn.Embedder != nil {
		v.applyNeural(ctx) // the vault's first vectors may serve now
	}
	// An older export's documents, and a failed one's, have no gist yet.
	if _, err := v.updateGists(ctx); err != nil {
		return fmt.Errorf("imported, but the global memory is incomplete: %w", err)
	}
	return nil
}

// CheckSetting refuses the settings Hoard reads that it could not have
// written.
func (importTarget) CheckSetting(s store.SettingRecord) error {
	switch s.Key {
	case llmKey:
		var l LLMSettings
		if err := json.Unmarshal([]byte(s.Value), &l); err != nil {
			return fmt.Errorf("setting %s: %w", s.Key, err)
		}
		return l.check()
	case speech.Key:
		return speech.CheckStored(s.Value)
	}
	return nil
}
