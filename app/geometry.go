//go:build desktop

package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// geometry is where the window was and how big, kept in the user's config
// folder when the window closes and used when it opens next.
type geometry struct {
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised,omitempty"`
}

// geometryFile is hoard/window.json in the user's config folder.
func geometryFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("window geometry: %w", err)
	}
	return filepath.Join(dir, "hoard", "window.json"), nil
}

// loadGeometry reads the saved geometry; ok is false when there is none
// or it is unusable (then the window opens at its default size).
func loadGeometry(file string, minW, minH int) (geometry, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return geometry{}, false
	}
	var g geometry
	if json.Unmarshal(b, &g) != nil || g.Width < minW || g.Height < minH {
		return geometry{}, false
	}
	return g, true
}

// saveGeometry writes beside the file and renames, so a crash mid-write
// never leaves half a file.
func saveGeometry(file string, g geometry) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("window geometry: %w", err)
	}
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("window geometry: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("window geometry: %w", err)
	}
	return nil
}

// onScreen: the window's top left corner lies on a screen of that size
// with room to grab it, so a position saved on a larger or second monitor
// does not open the window out of sight.
func (g geometry) onScreen(screenW, screenH int) bool {
	const grab = 40
	return g.X >= 0 && g.Y >= 0 && g.X+grab <= screenW && g.Y+grab <= screenH
}
