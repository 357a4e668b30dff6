//go:build desktop

// Package app is the desktop window: Wails serves the built UI and, through
// its asset server's Handler, the same HTTP API `hoard serve` offers, so the
// window and the browser UI share every line of logic. Files dropped on the
// window arrive natively, as paths.
package app

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
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

const (
	defaultWidth, defaultHeight = 1280, 820
	minWidth, minHeight         = 760, 480
)

// Run opens the window on the vault until the user closes it or ctx ends
// (SIGINT, SIGTERM), then returns once background writes have stopped, so
// the caller closes the vault. When a window is already open on the vault
// it is brought to the front instead, and Run returns nil.
func Run(ctx context.Context, v *vault.Vault, ask func(context.Context) vault.AskOptions) error {
	log := slog.Default()
	inst, err := claimInstance(socketPath(v.Dir()))
	if errors.Is(err, errRunning) {
		log.Info("the window is already open; brought it to the front")
		return nil
	}
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &window{log: log}
	srv := api.New(v, api.Options{Trusted: true, Ask: ask, Open: openFile, SaveAs: w.saveAs, Context: ctx, Logger: log})
	var bg sync.WaitGroup
	// The watched folders are followed while the window is open; the file
	// being indexed is finished or left queued when the caller closes v.
	stop := v.Start(ctx, vault.WatchOptions{Warn: func(m string) { log.Warn("watch", "msg", m) }})
	defer func() {
		cancel()
		stop()
		bg.Wait()
	}()
	bg.Go(func() { inst.serve(ctx, w.show, log) })
	go func() {
		<-ctx.Done()
		if c := w.context(); c != nil {
			runtime.Quit(c)
		}
	}()

	geoFile, gerr := geometryFile()
	if gerr != nil {
		log.Warn("window size and position are not kept", "err", gerr)
	}
	geo, restore := loadGeometry(geoFile, minWidth, minHeight)
	width, height := defaultWidth, defaultHeight
	if restore {
		width, height = geo.Width, geo.Height
	}
	d := &dropper{srv: srv, log: log}
	return wails.Run(&options.App{
		Title:     "Hoard — " + filepath.Base(v.Dir()),
		Width:     width,
		Height:    height,
		MinWidth:  minWidth,
		MinHeight: minHeight,
		AssetServer: &assetserver.Options{
			Assets:  frontend.Assets(),
			Handler: srv.Handler(),
		},
		// On Linux, Wails reads dropped paths from the webview's own GTK
		// drop target (WebKit's): DisableWebViewDrop removes that target,
		// and with it every drop. The page keeps the HTML5 drag events (for
		// its overlay) and does not upload what the window indexes in place.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true},
		OnStartup: func(c context.Context) {
			w.setContext(c)
			if ctx.Err() != nil {
				runtime.Quit(c)
				return
			}
			// The page says which collection it shows; drops go there.
			runtime.EventsOn(c, "hoard:collection", d.setCollection)
			runtime.OnFileDrop(c, func(_, _ int, paths []string) {
				runtime.EventsEmit(c, "hoard:dropped", d.drop(ctx, paths))
			})
		},
		OnDomReady: func(c context.Context) {
			if restore {
				w.place(c, geo)
			}
			log.Info("window ready")
		},
		OnBeforeClose: func(c context.Context) bool {
			if geoFile != "" {
				if err := saveGeometry(geoFile, w.geometry(c, geo)); err != nil {
					log.Warn("window geometry", "err", err)
				}
			}
			return false
		},
		OnShutdown: func(context.Context) { cancel() },
		Linux:      &linux.Options{ProgramName: "hoard", WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand},
	})
}

// window holds Wails' context once the window is up.
type window struct {
	log *slog.Logger
	mu  sync.Mutex
	ctx context.Context
}

func (w *window) setContext(c context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctx = c
}

func (w *window) context() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx
}

// show brings the window to the front (a second launch asked).
func (w *window) show() {
	if c := w.context(); c != nil {
		runtime.WindowUnminimise(c)
		runtime.WindowShow(c)
		focusWindow()
	}
}

// saveAs is the API's SaveAs: the native save dialog.
func (w *window) saveAs(_ context.Context, name string) (string, error) {
	c := w.context()
	if c == nil {
		return "", errors.New("the window is not open yet")
	}
	return runtime.SaveFileDialog(c, runtime.SaveDialogOptions{
		Title:                "Export the vault",
		DefaultFilename:      name,
		CanCreateDirectories: true,
		Filters:              []runtime.FileFilter{{DisplayName: "Hoard exports (*.hoard)", Pattern: "*.hoard"}},
	})
}

// place restores a saved position when it is on the screen now.
func (w *window) place(c context.Context, g geometry) {
	if g.Maximised {
		runtime.WindowMaximise(c)
		return
	}
	screens, err := runtime.ScreenGetAll(c)
	if err != nil {
		w.log.Warn("screens", "err", err)
		return
	}
	for _, s := range screens {
		if s.IsCurrent && g.onScreen(s.Size.Width, s.Size.Height) {
			runtime.WindowSetPosition(c, g.X, g.Y)
			return
		}
	}
}

// geometry is the window's now; a maximised window keeps the size it had
// before, to return to.
func (w *window) geometry(c context.Context, last geometry) geometry {
	if runtime.WindowIsMaximised(c) {
		last.Maximised = true
		return last
	}
	g := geometry{}
	g.Width, g.Height = runtime.WindowGetSize(c)
	g.X, g.Y = runtime.WindowGetPosition(c)
	return g
}

// dropper queues what is dropped on the window, in the collection the page
// shows.
type dropper struct {
	srv        *api.Server
	log        *slog.Logger
	mu         sync.Mutex
	collection string
}

func (d *dropper) setCollection(data ...any) {
	name := ""
	if len(data) > 0 {
		name, _ = data[0].(string)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.collection = name
}

// dropResult tells the page what a drop added ("hoard:dropped").
type dropResult struct {
	Collection string          `json:"collection"`
	Paths      []string        `json:"paths"`
	Queued     int             `json:"queued"`
	Skipped    int             `json:"skipped"`
	Failed     []vault.Failure `json:"failed"`
	Error      string          `json:"error,omitempty"`
}

func (d *dropper) drop(ctx context.Context, paths []string) dropResult {
	d.mu.Lock()
	res := dropResult{Collection: d.collection, Paths: paths}
	d.mu.Unlock()
	sum, err := d.srv.Submit(ctx, paths, res.Collection)
	res.Queued, res.Skipped, res.Failed = sum.Queued, sum.Skipped, sum.Failed
	if err != nil {
		res.Error = err.Error()
		d.log.Error("drop", "err", err)
	}
	d.log.Info("dropped", "paths", len(paths), "queued", sum.Queued, "missing", len(sum.Failed), "collection", res.Collection)
	return res
}
