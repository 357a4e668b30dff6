//go:build desktop

// Package app is the desktop window: Wails serves the built UI and, through
// its asset server's Handler, the same HTTP API `hoard serve` offers, so the
// window and the browser UI share every line of logic. Files dropped on the
// window arrive natively, as paths.
package app

import (
	"context"
	"log/slog"
	"sync"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/frontend"
)

// Run opens the window on the vault until the user closes it or ctx ends
// (SIGINT, SIGTERM), then returns so the caller closes the vault.
func Run(ctx context.Context, v *vault.Vault, ask func(context.Context) vault.AskOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := slog.Default()
	srv := api.New(v, api.Options{Trusted: true, Ask: ask, Open: openFile, Context: ctx, Logger: log})

	go v.WarmVectors(ctx)
	go v.AdoptModels(ctx) // finishes a switch of embedder in the background
	// The watched folders are followed while the window is open.
	go func() {
		if err := v.Watch(ctx, vault.WatchOptions{Standby: true, Warn: func(m string) { log.Warn("watch", "msg", m) }}); err != nil {
			log.Error("watch", "err", err)
		}
	}()

	var mu sync.Mutex
	var wctx context.Context // Wails' context, once the window is up
	go func() {
		<-ctx.Done()
		mu.Lock()
		defer mu.Unlock()
		if wctx != nil {
			runtime.Quit(wctx)
		}
	}()
	return wails.Run(&options.App{
		Title:     "Hoard",
		Width:     1280,
		Height:    820,
		MinWidth:  760,
		MinHeight: 480,
		AssetServer: &assetserver.Options{
			Assets:  frontend.Assets(),
			Handler: srv.Handler(),
		},
		// The page's own drop would upload copies; native drop indexes the
		// files where they are.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		OnStartup: func(c context.Context) {
			mu.Lock()
			wctx = c
			mu.Unlock()
			if ctx.Err() != nil {
				runtime.Quit(c)
				return
			}
			runtime.OnFileDrop(c, func(_, _ int, paths []string) {
				sum, err := srv.Submit(ctx, paths, "")
				if err != nil {
					log.Error("drop", "err", err)
					return
				}
				log.Info("dropped", "paths", len(paths), "missing", len(sum.Failed))
			})
		},
		OnDomReady: func(context.Context) { log.Info("window ready") },
		OnShutdown: func(context.Context) { cancel() },
		Linux:      &linux.Options{ProgramName: "hoard", WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
	})
}
