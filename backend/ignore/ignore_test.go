package ignore

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRules(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(FileName, "# comment\n*.log\nbuild/\n/drafts\n!keep.log\n")
	write("notes/"+FileName, "private*\n")
	r := New(root)
	cases := []struct {
		rel   string
		dir   bool
		which bool
	}{
		{"a.md", false, false},
		{"server.log", false, true},
		{"deep/x/server.log", false, true},
		{"keep.log", false, false},
		{"build", true, true},
		{"src/build", true, true},
		{"build.md", false, false},
		{"drafts", true, true},
		{"drafts/a.md", false, true},
		{"notes/drafts", true, false}, // anchored to the root
		{"notes/private-diary.md", false, true},
		{"private-elsewhere.md", false, false}, // the notes rules stay in notes
		{".hidden.md", false, true},
		{".git", true, true},
		{"x/.obsidian/workspace.json", false, true},
		{"~$report.docx", false, true},
		{"report.docx.crdownload", false, true},
		{"vim.md.swp", false, true},
		{"#autosave#", false, true},
		{"backup~", false, true},
	}
	for _, c := range cases {
		if got := r.Ignored(filepath.Join(root, c.rel), c.dir); got != c.which {
			t.Errorf("%s: ignored %v, want %v", c.rel, got, c.which)
		}
	}
	if r.Ignored(root, true) {
		t.Error("the root itself is never ignored")
	}
	// A changed ignore file counts once forgotten.
	write(FileName, "*.md\n")
	if r.Ignored(filepath.Join(root, "a.md"), false) {
		t.Error("the cached rules should still apply before Forget")
	}
	r.Forget(root)
	if !r.Ignored(filepath.Join(root, "a.md"), false) || r.Ignored(filepath.Join(root, "server.log"), false) {
		t.Error("the new rules do not apply after Forget")
	}
}
