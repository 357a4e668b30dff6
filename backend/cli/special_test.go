package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalChild is the child process of TestAddNamedPipe: the command line
// with main's signal handling.
func TestSignalChild(t *testing.T) {
	args := os.Getenv("HOARD_SIGNAL_CHILD")
	if args == "" {
		t.Skip("runs only as the child of TestAddNamedPipe")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Execute(ctx, strings.Split(args, "\x1f"), nil)
	stop()
	os.Exit(code)
}

// signalChild starts `hoard ARGS` in a child process.
func signalChild(t *testing.T, out *bytes.Buffer, args ...string) (*exec.Cmd, chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$")
	cmd.Env = append(os.Environ(), "HOARD_SIGNAL_CHILD="+strings.Join(args, "\x1f"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, done
}

// `hoard add` on a named pipe nobody writes to finishes at once with the
// pipe failed, and a run that has one among its files still stops on
// SIGTERM.
func TestAddNamedPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.md")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, done := signalChild(t, &out, "--vault", t.TempDir(), "add", fifo)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("hoard add on a named pipe still runs after 30 s: %s", out.String())
	}
	if !strings.Contains(out.String(), "named pipe") {
		t.Fatalf("no reason given for the pipe: %s", out.String())
	}

	// A run with a pipe and many files answers SIGTERM.
	notes := filepath.Join(dir, "notes")
	for i := range 3000 {
		writeNote(t, filepath.Join(notes, fmt.Sprintf("n%04d.md", i)), fmt.Sprintf("# Note %d\n\nAbout topic%d.", i, i))
	}
	out.Reset()
	cmd, done := signalChild(t, &out, "--vault", t.TempDir(), "add", fifo, notes)
	time.Sleep(3 * time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("hoard add did not stop within 15 s of SIGTERM: %s", out.String())
	}
}

func writeNote(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
