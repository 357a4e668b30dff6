package vault

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A rule added to .hoardignore removes what it matches from the vault: at
// once while the folder is watched, and at catch-up when it was added while
// Hoard was closed.
func TestIgnoreRuleRemovesIndexedDocuments(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	dir := t.TempDir()
	files := map[string]string{
		"keep.md":         "# Keep\n\nThe kestrel hovers.",
		"secret/plan.md":  "# Plan\n\nThe marmot plans.",
		"notes.draft.md":  "# Draft\n\nThe lemur drafts.",
		"later/closed.md": "# Closed\n\nThe vole hides.",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	r := runWatch(t, v)
	for _, q := range []string{"kestrel", "marmot", "lemur", "vole"} {
		if hitPath(t, v, q) == "" {
			t.Fatalf("%s not indexed", q)
		}
	}
	writeFile(t, filepath.Join(dir, ".hoardignore"), "secret/\n*.draft.md\n")
	eventually(t, "ignored documents removed while watching", 15*time.Second, func() bool {
		return hitPath(t, v, "marmot") == "" && hitPath(t, v, "lemur") == ""
	})
	r.stop()
	writeFile(t, filepath.Join(dir, ".hoardignore"), "secret/\n*.draft.md\nlater/\n")
	r = runWatch(t, v)
	defer r.stop()
	if p := hitPath(t, v, "vole"); p != "" {
		t.Fatalf("a rule added while closed: %s still indexed after catch-up", p)
	}
	if hitPath(t, v, "kestrel") != filepath.Join(dir, "keep.md") {
		t.Fatal("the file no rule names went too")
	}
}
