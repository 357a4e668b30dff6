// Command hoard is Hoard's single binary: the command line, and (in a desktop
// build, tags desktop,production,webkit2_41) the window.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hoardvault/hoard/backend/cli"
)

func main() {
	passiveOpenMP()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], window())
	stop()
	os.Exit(code)
}
