package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/vault"
)

// commandPaths lists every command under root, hidden ones too, as the
// words that name it.
func commandPaths(cmd *cobra.Command, prefix []string) [][]string {
	var out [][]string
	for _, c := range cmd.Commands() {
		path := append(append([]string(nil), prefix...), c.Name())
		out = append(out, path)
		out = append(out, commandPaths(c, path)...)
	}
	return out
}

// helpText is what `hoard help` and every command's --help print, with and
// without the desktop window: the flags, their defaults and the help text.
func helpText(t *testing.T) string {
	t.Helper()
	// The defaults some flags read from the environment.
	t.Setenv("HOARD_VAULT", "/vault")
	t.Setenv("HOARD_TOKEN", "")
	var window Window = func(context.Context, *vault.Vault, func(context.Context) vault.AskOptions) error { return nil }
	var sb strings.Builder
	for _, w := range []struct {
		name   string
		window Window
	}{{"hoard", nil}, {"hoard-desktop", window}} {
		runs := [][]string{{"help"}, {"help", "models", "ls"}}
		for _, p := range append([][]string{{}}, commandPaths(NewRoot(&bytes.Buffer{}, &bytes.Buffer{}, w.window), nil)...) {
			runs = append(runs, append(p, "--help"))
		}
		for _, args := range runs {
			var out, errb bytes.Buffer
			root := NewRoot(&out, &errb, w.window)
			root.SetArgs(args)
			err := root.ExecuteContext(context.Background())
			sb.WriteString("=== " + w.name + " " + strings.Join(args, " ") + "\n")
			sb.WriteString(out.String())
			if errb.Len() > 0 || err != nil {
				sb.WriteString("--- stderr\n" + errb.String())
				if err != nil {
					sb.WriteString("--- error: " + err.Error() + "\n")
				}
			}
		}
	}
	return sb.String()
}

// Every command's flags, defaults and help stay as they were: the text is
// kept in testdata/help.txt (HOARD_UPDATE_HELP=1 writes it again, after a
// change meant to show there).
func TestHelpIsUnchanged(t *testing.T) {
	got := helpText(t)
	golden := filepath.Join("testdata", "help.txt")
	if os.Getenv("HOARD_UPDATE_HELP") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
			t.Fatalf("help differs from %s at line %d:\ngot:  %q\nwant: %q", golden, i+1, at(gl, i), at(wl, i))
		}
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}
