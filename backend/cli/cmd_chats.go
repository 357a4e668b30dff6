package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

func newChatsCommand(a *app) *cobra.Command {
	var opts chatsOptions
	cmd := &cobra.Command{
		Use:   "chats [show ID | rm ID]",
		Short: "List, show or delete the conversations kept with `hoard ask --chat`",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runChats(cmd.Context(), opts, a, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// chatsOptions are hoard chats's flags.
type chatsOptions struct {
	JSON bool
}

func (o *chatsOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print JSON")
}

func runChats(ctx context.Context, opts chatsOptions, a *app, args []string) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		if len(args) == 0 {
			cs, err := v.Conversations(ctx, 0, 0)
			if err != nil || opts.JSON {
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
		if opts.JSON {
			return a.printJSON(wire.FromConversationDetail(c, msgs))
		}
		fmt.Fprintf(a.stdout, "%s\n", c.Title)
		for _, m := range msgs {
			fmt.Fprintf(a.stdout, "\n%s: %s\n", m.Role, m.Content)
		}
		return nil
	})
}
