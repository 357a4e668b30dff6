//go:build desktop

package app

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// errRunning: a window on this vault is already open, and was asked to
// come to the front.
var errRunning = errors.New("hoard's window is already open on this vault")

// One window per vault. The first launch listens on a Unix socket named
// after the vault; a later one connects, asks it to show itself and
// leaves. (Wails' own SingleInstanceLock needs a D-Bus session on Linux
// and ends the second process with os.Exit(1) before the vault is closed.)
type instance struct {
	ln net.Listener
}

// socketPath is the vault's socket, in the user's runtime folder.
func socketPath(vaultDir string) string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	abs, err := filepath.Abs(vaultDir)
	if err != nil {
		abs = vaultDir
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, fmt.Sprintf("hoard-window-%x.sock", sum[:8]))
}

// claimInstance makes this process the vault's window, or returns
// errRunning once the running window was told to show itself.
func claimInstance(path string) (*instance, error) {
	for range 2 {
		ln, err := net.Listen("unix", path)
		if err == nil {
			return &instance{ln: ln}, nil
		}
		c, derr := net.DialTimeout("unix", path, 2*time.Second)
		if derr == nil {
			return nil, askToShow(c)
		}
		if !errors.Is(derr, syscall.ECONNREFUSED) && !errors.Is(derr, os.ErrNotExist) {
			return nil, fmt.Errorf("window lock %s: %w", path, err)
		}
		// Left behind by a window that crashed: nobody answers.
		os.Remove(path)
	}
	return nil, fmt.Errorf("window lock %s: taken and released in turn", path)
}

func askToShow(c net.Conn) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(c, "show"); err != nil {
		return fmt.Errorf("ask the open window to show itself: %w", err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.TrimSpace(reply) != "ok" {
		return fmt.Errorf("the open window did not answer (%q): %w", reply, err)
	}
	return errRunning
}

// serve answers later launches until ctx ends, calling show for each.
func (in *instance) serve(ctx context.Context, show func(), log *slog.Logger) {
	go func() {
		<-ctx.Done()
		in.ln.Close() // removes the socket file
	}()
	for {
		c, err := in.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || strings.TrimSpace(line) != "show" {
				return
			}
			log.Info("a second launch: showing the window")
			show()
			fmt.Fprintln(c, "ok")
		}()
	}
}
