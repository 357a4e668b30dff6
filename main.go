// Command hoard is Hoard's single binary: the command line, and (in a desktop
// build) the window.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hoardvault/hoard/backend/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
