package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/mcpserver"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/frontend"
)

func newServeCommand(a *app) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API, the browser UI and MCP (streamable HTTP at /mcp)",
		Long: "Listens on 127.0.0.1 by default. Every client needs the access token: the browser UI gets it from\n" +
			"the link printed at start, other clients send \"Authorization: Bearer TOKEN\". Requests naming another\n" +
			"host (DNS rebinding) or coming from another origin's page are refused. Listening beyond this machine\n" +
			"(--addr 0.0.0.0:7878) warns, and takes a token of 32 characters or more (or --allow-weak-token).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.LLM.Explicit = llmFlagsGiven(cmd.Flags())
			return runServe(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// serveOptions are hoard serve's flags.
type serveOptions struct {
	Addr, Token  string
	Hosts        []string
	WeakToken    bool
	MaxUploadMiB int64
	LLM          llmOptions
}

func (o *serveOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Addr, "addr", "127.0.0.1:7878", "address to listen on")
	f.StringVar(&o.Token, "token", os.Getenv("HOARD_TOKEN"), "access token (env HOARD_TOKEN; default: a new random one)")
	f.StringSliceVar(&o.Hosts, "allow-host", nil, "host names to answer besides localhost (when listening beyond this machine)")
	f.Int64Var(&o.MaxUploadMiB, "max-upload", 1024, "largest upload in MiB (a larger one is refused whole)")
	f.BoolVar(&o.WeakToken, "allow-weak-token", false, fmt.Sprintf("listen beyond this machine with a token shorter than %d characters", minExposedToken))
	o.LLM.AddFlags(f)
}

// runServe serves until ctx ends, then shuts the server down (streams
// still open after 5 s are cut).
func runServe(ctx context.Context, opts serveOptions, a *app) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		// The model is picked for each question: a server started before
		// Ollama finds it once it runs.
		ask := func(ctx context.Context) vault.AskOptions { return opts.LLM.askOptions(ctx, v) }
		srv := api.New(v, api.Options{Token: opts.Token, AllowHosts: opts.Hosts, Ask: ask, UI: frontend.Handler(), Context: ctx,
			Limits: api.Limits{MaxUpload: opts.MaxUploadMiB << 20}})
		ln, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		if err := a.checkExposed(ln, opts.Token, opts.WeakToken); err != nil {
			ln.Close()
			return err
		}
		host := ln.Addr().String()
		if h, port, err := net.SplitHostPort(host); err == nil && (h == "127.0.0.1" || h == "::1" || h == "0.0.0.0" || h == "::") {
			host = net.JoinHostPort("127.0.0.1", port)
		}
		fmt.Fprintf(a.stdout, "Hoard is serving %s\n  open:  http://%s/?token=%s\n  API:   http://%s/api/  (Authorization: Bearer %s)\n  MCP:   http://%s/mcp\n",
			v.Dir(), host, srv.Token(), host, srv.Token(), host)
		hs := srv.HTTPServer()
		errc := make(chan error, 1)
		go func() { errc <- hs.Serve(srv.Listener(ln)) }()
		// The watched folders are followed while serving, including ones
		// added through the API.
		defer v.Start(ctx, a.watchOptions(0, 0))()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := hs.Shutdown(sctx)
			if errors.Is(err, context.DeadlineExceeded) {
				err = nil // streams still open are cut
			}
			return err
		}
	})
}

// minExposedToken is the shortest token taken beyond this machine, where
// anyone on the network may try to guess it.
const minExposedToken = 32

// checkExposed warns when ln can be reached from other machines, and there
// refuses a token short enough to guess unless the user insists.
func (a *app) checkExposed(ln net.Listener, token string, weakOK bool) error {
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || tcp.IP.IsLoopback() {
		return nil
	}
	weak := token != "" && len(token) < minExposedToken
	if weak && !weakOK {
		return fmt.Errorf("hoard serve listens on %s, beyond this machine: the token must have at least %d characters there "+
			"(leave --token out for a random one, or pass --allow-weak-token)", ln.Addr(), minExposedToken)
	}
	fmt.Fprintf(a.stderr, "warning: listening on %s, beyond this machine: whoever reaches it with the token can read and change "+
		"the vault, over plain HTTP (not encrypted); other machines' host names need --allow-host\n", ln.Addr())
	if weak {
		fmt.Fprintf(a.stderr, "warning: the token has %d characters (--allow-weak-token): it can be guessed over the network\n", len(token))
	}
	return nil
}

func newMCPCommand(a *app) *cobra.Command {
	var opts mcpOptions
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the vault to an AI agent over MCP on standard input and output",
		Long: "Tools: search, ask, add_note, list_sources, get_document. Configure your agent to run\n" +
			"`hoard mcp` (with --vault when the vault is not the default).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.LLM.Explicit = llmFlagsGiven(cmd.Flags())
			return runMCP(cmd.Context(), opts, a, os.Stdin)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// mcpOptions are hoard mcp's flags.
type mcpOptions struct {
	LLM llmOptions
}

func (o *mcpOptions) AddFlags(f *pflag.FlagSet) { o.LLM.AddFlags(f) }

// runMCP serves MCP's line transport on in and the app's output until in
// ends or ctx does.
func runMCP(ctx context.Context, opts mcpOptions, a *app, in io.Reader) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		ask := func(ctx context.Context) vault.AskOptions { return opts.LLM.askOptions(ctx, v) }
		return mcpserver.Serve(ctx, mcpserver.New(v, mcpserver.Options{Ask: ask}), in, a.stdout)
	})
}
