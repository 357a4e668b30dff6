//go:build !desktop

package main

import "github.com/hoardvault/hoard/backend/cli"

// window is nil: this build is the command line only.
func window() cli.Window { return nil }
