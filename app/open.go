//go:build desktop

package app

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// openGrace is how long an opener may take to fail. xdg-open that finds
// no application fails within it (exit 3 or 4); one that started a viewer
// may wait for the viewer to close, so still running means it worked.
const openGrace = 2 * time.Second

// openFile shows a file in the system's viewer, at the page for a PDF
// when the viewer takes one, and says why when the system could not.
func openFile(path string, page int) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	cmd := viewer(path, page)
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s: %w (xdg-open comes with xdg-utils)", filepath.Base(path), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // reaps it, however long the viewer stays
	select {
	case err := <-done:
		if err != nil {
			msg := strings.TrimSpace(out.String())
			if msg == "" {
				msg = "no application is set to open this kind of file"
			}
			return fmt.Errorf("%s could not open %s: %s (%w)", filepath.Base(cmd.Args[0]), filepath.Base(path), msg, err)
		}
	case <-time.After(openGrace):
	}
	return nil
}

// pageViewers are PDF viewers that open at a page, with their flag.
var pageViewers = []struct {
	desktop, bin string // the desktop entry's name holds desktop
	args         func(path string, page int) []string
}{
	{"evince", "evince", func(p string, n int) []string { return []string{"--page-index=" + strconv.Itoa(n), p} }},
	{"okular", "okular", func(p string, n int) []string { return []string{"--page", strconv.Itoa(n), p} }},
	{"zathura", "zathura", func(p string, n int) []string { return []string{"--page=" + strconv.Itoa(n), p} }},
}

// viewer is the command that shows path. On Linux a PDF with a page goes
// to the desktop's default PDF viewer with its page flag when it is one
// of pageViewers (or, with no default set, to the first installed);
// everything else goes to xdg-open, which cannot pass a page.
func viewer(path string, page int) *exec.Cmd {
	switch goruntime.GOOS {
	case "darwin":
		return exec.Command("open", path)
	case "windows":
		return exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	}
	if page > 0 && strings.EqualFold(filepath.Ext(path), ".pdf") {
		def, _ := exec.Command("xdg-mime", "query", "default", "application/pdf").Output()
		name := strings.ToLower(strings.TrimSpace(string(def)))
		for _, v := range pageViewers {
			if name != "" && !strings.Contains(name, v.desktop) {
				continue
			}
			if p, err := exec.LookPath(v.bin); err == nil {
				return exec.Command(p, v.args(path, page)...)
			}
		}
	}
	return exec.Command("xdg-open", path)
}

// tail keeps the last few KiB an opener writes, for its error message.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 4096; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
