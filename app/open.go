//go:build desktop

package app

import (
	"fmt"
	"os/exec"
	goruntime "runtime"
)

// openFile shows a file in the system's viewer. Viewers take no page
// number in a portable way, so the page is left to the user there; the
// window's own page view opens at it.
func openFile(path string, _ int) error {
	var cmd *exec.Cmd
	switch goruntime.GOOS {
	case "darwin":
		cmd = exec.Command("open", path)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	go cmd.Wait() // reap it; the viewer outlives the request
	return nil
}
