//go:build desktop

package main

import (
	"github.com/hoardvault/hoard/app"
	"github.com/hoardvault/hoard/backend/cli"
)

// window is the Wails window (app/).
func window() cli.Window { return app.Run }
