//go:build desktop

package app_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/vault"
)

// The real desktop build (make desktop) under Xvfb: the window shows the
// Library screen, then SIGTERM closes it cleanly, leaving a sound vault.
func TestWindowShowsLibraryAndQuits(t *testing.T) {
	bin, _ := filepath.Abs(filepath.Join("..", "bin", "hoard-desktop"))
	if env := os.Getenv("HOARD_DESKTOP_BIN"); env != "" {
		bin = env
	}
	required := os.Getenv("HOARD_REQUIRE_SHARED") == "1"
	for _, need := range []string{bin, "Xvfb", "ffmpeg", "tesseract"} {
		if _, err := exec.LookPath(need); err != nil {
			if required {
				t.Fatalf("%s is missing (make desktop; apt install xvfb ffmpeg tesseract-ocr)", need)
			}
			t.Skipf("%s is missing (make desktop; apt install xvfb ffmpeg tesseract-ocr)", need)
		}
	}
	display := startXvfb(t)
	dir := t.TempDir()
	vaultDir := filepath.Join(dir, "vault")
	cmd := exec.Command(bin, "--vault", vaultDir, "--models", filepath.Join(dir, "models"), "--llm", "none")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+dir, "XDG_RUNTIME_DIR="+dir)
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	ready := make(chan struct{})
	var out strings.Builder
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "window ready") {
				close(ready)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("the window exited before it was ready (%v):\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no window after 60 s:\n%s", out.String())
	}

	// The page renders and asks the API for the documents ("Your vault is
	// empty" shows only after the answer); read the screen back (OCR).
	shots := os.Getenv("HOARD_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join("..", "frontend", "test-results")
	}
	shots = filepath.Join(shots, "desktop")
	os.MkdirAll(shots, 0o755)
	shot := filepath.Join(shots, "library.png")
	var text string
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", "1366x900", "-i", display,
			"-frames:v", "1", shot).Run(); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		b, _ := exec.Command("tesseract", shot, "-").Output()
		text = string(b)
		if strings.Contains(text, "Library") && strings.Contains(text, "vault is empty") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window does not show the Library screen; it reads:\n%s\nlogs:\n%s", text, out.String())
		}
		time.Sleep(time.Second)
	}
	t.Logf("screenshot: %s", shot)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("quit with %v:\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20 s after SIGTERM:\n%s", out.String())
	}
	v, err := vault.Open(context.Background(), vaultDir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Check(context.Background()); err != nil {
		t.Errorf("vault after quitting: %v", err)
	}
}

// startXvfb runs a virtual X server on a free display until the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1366x900x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Signal(syscall.SIGTERM)
		x.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal(errors.New("Xvfb did not start"))
		}
		return fmt.Sprintf(":%s", n)
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start in 20 s")
	}
	return ""
}
