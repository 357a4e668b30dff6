//go:build desktop

package app

import (
	"fmt"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
)

// openFile shows a file in the system's viewer. A PDF opens at the page
// when a viewer that takes one is installed (Evince, Okular); otherwise
// the desktop's default viewer opens it (xdg-open, open, the shell).
func openFile(path string, page int) error {
	cmd := viewer(path, page)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	go cmd.Wait() // reap it; the viewer outlives the request
	return nil
}

func viewer(path string, page int) *exec.Cmd {
	switch goruntime.GOOS {
	case "darwin":
		return exec.Command("open", path)
	case "windows":
		return exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	}
	if page > 0 && strings.EqualFold(filepath.Ext(path), ".pdf") {
		if p, err := exec.LookPath("evince"); err == nil {
			return exec.Command(p, "--page-index="+strconv.Itoa(page), path)
		}
		if p, err := exec.LookPath("okular"); err == nil {
			return exec.Command(p, "--page", strconv.Itoa(page), path)
		}
	}
	return exec.Command("xdg-open", path)
}
