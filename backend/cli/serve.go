package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/mcpserver"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/frontend"
)

func (a *app) serveCmd() *cobra.Command {
	var addr, token string
	var hosts []string
	var weakToken bool
	var maxUploadMiB int64
	var lf llmFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API, the browser UI and MCP (streamable HTTP at /mcp)",
		Long: "Listens on 127.0.0.1 by default. Every client needs the access token: the browser UI gets it from\n" +
			"the link printed at start, other clients send \"Authorization: Bearer TOKEN\". Requests naming another\n" +
			"host (DNS rebinding) or coming from another origin's page are refused. Listening beyond this machine\n" +
			"(--addr 0.0.0.0:7878) warns, and takes a token of 32 characters or more (or --allow-weak-token).",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:7878", "address to listen on")
	cmd.Flags().StringVar(&token, "token", os.Getenv("HOARD_TOKEN"), "access token (env HOARD_TOKEN; default: a new random one)")
	cmd.Flags().StringSliceVar(&hosts, "allow-host", nil, "host names to answer besides localhost (when listening beyond this machine)")
	cmd.Flags().Int64Var(&maxUploadMiB, "max-upload", 1024, "largest upload in MiB (a larger one is refused whole)")
	cmd.Flags().BoolVar(&weakToken, "allow-weak-token", false, fmt.Sprintf("listen beyond this machine with a token shorter than %d characters", minExposedToken))
	lf.register(cmd)
	cmd.RunE = a.withVaultLLM(&lf, func(ctx context.Context, v *vault.Vault, _ []string) error {
		srv := api.New(v, api.Options{Token: token, AllowHosts: hosts, Ask: lf.askOptions, UI: frontend.Handler(), Context: ctx,
			Limits: api.Limits{MaxUpload: maxUploadMiB << 20}})
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		if err := a.checkExposed(ln, token, weakToken); err != nil {
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
		go v.WarmVectors(ctx)
		go v.AdoptModels(ctx) // finishes a switch of embedder in the background
		// The watched folders are followed while serving, including ones
		// added through the API; a read-only vault takes nothing in.
		go func() {
			if v.ReadOnly() {
				return
			}
			wo := a.watchOptions(0, 0)
			wo.Standby = true
			if err := v.Watch(ctx, wo); err != nil {
				fmt.Fprintf(a.stderr, "watch: %v\n", err)
			}
		}()
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
	return cmd
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

func (a *app) mcpCmd() *cobra.Command {
	var lf llmFlags
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the vault to an AI agent over MCP on standard input and output",
		Long: "Tools: search, ask, add_note, list_sources, get_document. Configure your agent to run\n" +
			"`hoard mcp` (with --vault when the vault is not the default).",
		Args: cobra.NoArgs,
	}
	lf.register(cmd)
	cmd.RunE = a.withVaultLLM(&lf, func(ctx context.Context, v *vault.Vault, _ []string) error {
		return mcpserver.Serve(ctx, mcpserver.New(v, mcpserver.Options{Ask: lf.askOptions}), os.Stdin, a.stdout)
	})
	return cmd
}

func (a *app) rememberCmd() *cobra.Command {
	var title string
	cmd := &cobra.Command{
		Use:   "remember TEXT...",
		Short: "Keep a note in the vault's memories (searched with more weight, newest first)",
		Args:  cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&title, "title", "", "title (default: the note's first words)")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		id, err := v.Remember(ctx, title, strings.Join(args, " "))
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "remembered as document %d\n", id)
		return nil
	})
	return cmd
}

func (a *app) memoriesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "memories [forget ID | edit ID TEXT...]",
		Short: "List, edit or forget the notes kept with `hoard remember`",
		Args:  cobra.ArbitraryArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		if len(args) > 0 {
			if len(args) < 2 || args[0] != "forget" && args[0] != "edit" || args[0] == "edit" && len(args) < 3 {
				return errors.New("usage: hoard memories [forget ID | edit ID TEXT...]")
			}
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a memory id", args[1])
			}
			if args[0] == "forget" {
				return v.Forget(ctx, id)
			}
			return v.UpdateMemory(ctx, id, "", strings.Join(args[2:], " "))
		}
		docs, _, err := v.Memories(ctx, 0, 0)
		if err != nil {
			return err
		}
		if asJSON {
			return a.printJSON(wire.FromDocuments(docs))
		}
		for _, d := range docs {
			fmt.Fprintf(a.stdout, "%6d  %s  %s\n", d.ID, time.Unix(d.CreatedAt, 0).Format("2006-01-02 15:04"), d.Title)
		}
		return nil
	})
	return cmd
}

func (a *app) memoryCmd() *cobra.Command {
	var asJSON, build, facts bool
	var lf llmFlags
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Show the vault's global memory (gists, topics); --build or --facts to have a language model write it",
		Long: "Every document has a gist and keyphrases, written at indexing without a model. With a language model,\n" +
			"--build rewrites the gists and an overview of the vault, and --facts reads atomic facts from every passage\n" +
			"(both resume where they stopped). Answers use them: clue queries, summaries, multi-hop answers.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, with every gist")
	cmd.Flags().BoolVar(&build, "build", false, "have the language model write the gists and the overview")
	cmd.Flags().BoolVar(&facts, "facts", false, "have the language model read facts from every passage")
	lf.register(cmd)
	cmd.RunE = a.withVaultLLM(&lf, func(ctx context.Context, v *vault.Vault, _ []string) error {
		if build || facts {
			c, model, note := lf.pick(ctx)
			if c == nil {
				return errors.New(note)
			}
			if build {
				n, err := v.BuildMemory(ctx, c, model, func(p vault.MemoryProgress) {
					fmt.Fprintf(a.stderr, "\rgists %d/%d", p.Done, p.Total)
				})
				fmt.Fprintf(a.stderr, "\n%d gist(s) written by %s\n", n, model)
				if err != nil {
					return err
				}
			}
			if facts {
				if err := a.readFacts(ctx, v, &lf); err != nil {
					return err
				}
			}
		}
		m, err := v.Memory(ctx, asJSON)
		if err != nil {
			return err
		}
		if asJSON {
			return a.printJSON(wire.FromMemory(m))
		}
		fmt.Fprintf(a.stdout, "%d documents, %d gists by a language model, %d facts (%d passages not read)\n", m.Documents, m.ByLLM, m.Facts, m.Unread)
		if m.Overview != "" {
			fmt.Fprintf(a.stdout, "\n%s\n", m.Overview)
		}
		if len(m.Keyphrases) > 0 {
			fmt.Fprintf(a.stdout, "\ntopics: %s\n", strings.Join(m.Keyphrases, ", "))
		}
		return nil
	})
	return cmd
}

func (a *app) chatsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "chats [show ID | rm ID]",
		Short: "List, show or delete the conversations kept with `hoard ask --chat`",
		Args:  cobra.ArbitraryArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		if len(args) == 0 {
			cs, err := v.Conversations(ctx, 0, 0)
			if err != nil || asJSON {
				return errors.Join(err, a.printJSON(wire.FromConversations(cs)))
			}
			for _, c := range cs {
				fmt.Fprintf(a.stdout, "%6d  %s  %3d messages  %s\n", c.ID, time.Unix(c.UpdatedAt, 0).Format("2006-01-02 15:04"), c.Messages, c.Title)
			}
			return nil
		}
		if len(args) != 2 || args[0] != "show" && args[0] != "rm" {
			return errors.New("usage: hoard chats [show ID | rm ID]")
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a conversation id", args[1])
		}
		if args[0] == "rm" {
			return v.DeleteConversation(ctx, id)
		}
		c, msgs, err := v.Conversation(ctx, id)
		if err != nil {
			return err
		}
		if asJSON {
			return a.printJSON(wire.FromConversationDetail(c, msgs))
		}
		fmt.Fprintf(a.stdout, "%s\n", c.Title)
		for _, m := range msgs {
			fmt.Fprintf(a.stdout, "\n%s: %s\n", m.Role, m.Content)
		}
		return nil
	})
	return cmd
}

// readFacts has the chosen language model read facts from every passage not
// read yet.
func (a *app) readFacts(ctx context.Context, v *vault.Vault, lf *llmFlags) error {
	c, model, note := lf.pick(ctx)
	if c == nil {
		return errors.New(note)
	}
	p, err := v.ExtractFacts(ctx, c, model, func(p vault.FactProgress) {
		fmt.Fprintf(a.stderr, "\rpassages read %d, facts %d", p.Chunks, p.Facts)
	})
	fmt.Fprintf(a.stderr, "\n%d fact(s) from %d passage(s) by %s\n", p.Facts, p.Chunks, model)
	return err
}

// windowCmd opens the desktop window (desktop builds only).
func (a *app) windowCmd(window Window) *cobra.Command {
	var lf llmFlags
	cmd := &cobra.Command{
		Use:   "window",
		Short: "Open Hoard's window (what `hoard` alone does in the desktop app)",
		Args:  cobra.NoArgs,
	}
	lf.register(cmd)
	cmd.RunE = a.withVaultLLM(&lf, func(ctx context.Context, v *vault.Vault, _ []string) error {
		return window(ctx, v, lf.askOptions)
	})
	return cmd
}
