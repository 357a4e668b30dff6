package eval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// WatchOptions configure the watched-folder benchmark.
type WatchOptions struct {
	Samples int   // save → searchable measurements (default 30)
	Sizes   []int // folder sizes for throughput and memory (default 1000, 10000, 30000)
	Settle  time.Duration
	Log     func(format string, args ...any)
}

// FolderReport is one folder size's throughput and memory.
type FolderReport struct {
	Files       int     `json:"files"`
	Seconds     float64 `json:"seconds"`
	FilesPerSec float64 `json:"files_per_sec"`
	PeakHeapMiB float64 `json:"peak_heap_mib"` // Go heap in use, sampled every 20 ms
}

// WatchReport is what the benchmark measured.
type WatchReport struct {
	SettleMS   int64          `json:"settle_ms"`
	Samples    int            `json:"samples"`
	P50MS      float64        `json:"save_to_searchable_p50_ms"`
	P95MS      float64        `json:"save_to_searchable_p95_ms"`
	Folders    []FolderReport `json:"folders"`
	PeakRSSMiB float64        `json:"peak_rss_mib"` // the whole process, all phases
}

// Watch measures a watched folder: how long a saved Markdown note takes to
// become searchable, and how fast and in how much memory folders of
// several sizes are indexed when they are first watched.
func Watch(ctx context.Context, opt WatchOptions) (WatchReport, error) {
	if opt.Samples <= 0 {
		opt.Samples = 30
	}
	if len(opt.Sizes) == 0 {
		opt.Sizes = []int{1000, 10000, 30000}
	}
	if opt.Settle <= 0 {
		opt.Settle = 300 * time.Millisecond
	}
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rep := WatchReport{SettleMS: opt.Settle.Milliseconds(), Samples: opt.Samples}
	tmp, err := os.MkdirTemp("", "hoard-bench-watch-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)

	// Throughput and memory, smallest folder first.
	for _, n := range opt.Sizes {
		dir := filepath.Join(tmp, fmt.Sprintf("folder-%d", n))
		for i := range n {
			sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/500))
			if i%500 == 0 {
				if err := os.MkdirAll(sub, 0o755); err != nil {
					return rep, err
				}
			}
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("note-%05d.md", i)), []byte(noteText(i)), 0o644); err != nil {
				return rep, err
			}
		}
		fr, err := indexFolder(ctx, filepath.Join(tmp, fmt.Sprintf("vault-%d", n)), dir, opt.Settle)
		if err != nil {
			return rep, err
		}
		logf("folder of %d files: %.1f s, %.0f files/s, peak heap %.1f MiB", n, fr.Seconds, fr.FilesPerSec, fr.PeakHeapMiB)
		rep.Folders = append(rep.Folders, fr)
	}

	// Save → searchable.
	dir := filepath.Join(tmp, "notes")
	os.MkdirAll(dir, 0o755)
	v, err := vault.Open(ctx, filepath.Join(tmp, "vault-latency"), vault.Options{})
	if err != nil {
		return rep, err
	}
	defer v.Close()
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		return rep, err
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- v.Watch(wctx, vault.WatchOptions{Settle: opt.Settle, Ready: func(vault.WatchState) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		return rep, err
	}
	var lat []time.Duration
	for i := range opt.Samples {
		token := fmt.Sprintf("zq%dmarker", i)
		p := filepath.Join(dir, fmt.Sprintf("saved-%d.md", i))
		start := time.Now()
		if err := os.WriteFile(p, []byte("# Saved note\n\nA quick thought with the word "+token+" in it.\n"), 0o644); err != nil {
			return rep, err
		}
		for {
			hits, err := v.Search(ctx, search.Request{Query: token, Limit: 1})
			if err != nil {
				return rep, err
			}
			if len(hits) > 0 {
				break
			}
			if time.Since(start) > 30*time.Second {
				return rep, errors.New("a saved note did not become searchable within 30 s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
		time.Sleep(50 * time.Millisecond) // notes saved apart, as a person does
	}
	stop()
	<-done
	rep.P50MS, rep.P95MS = Percentile(lat, 50), Percentile(lat, 95)
	rep.PeakRSSMiB = peakRSS()
	logf("save → searchable: p50 %.0f ms, p95 %.0f ms (settle %s)", rep.P50MS, rep.P95MS, opt.Settle)
	return rep, nil
}

func noteText(i int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Note %d\n\n", i)
	for p := range 6 {
		fmt.Fprintf(&sb, "Paragraph %d of note %d is about topic%d and subject%d, with ordinary words around them. ", p, i, i%101, p)
	}
	return sb.String()
}

// indexFolder watches a new vault's folder and times the first pass.
func indexFolder(ctx context.Context, vdir, dir string, settle time.Duration) (FolderReport, error) {
	fr := FolderReport{}
	v, err := vault.Open(ctx, vdir, vault.Options{})
	if err != nil {
		return fr, err
	}
	defer v.Close()
	if _, err := v.AddWatched(ctx, dir, ""); err != nil {
		return fr, err
	}
	runtime.GC()
	var peak atomic.Uint64
	sampling := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-sampling:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	var took time.Duration
	var indexed int
	done := make(chan error, 1)
	go func() {
		done <- v.Watch(wctx, vault.WatchOptions{Settle: settle,
			Progress: func(p vault.Progress) {
				if p.Outcome == vault.OutIndexed {
					indexed++
				}
			},
			Ready: func(vault.WatchState) { took = time.Since(start); stop() }})
	}()
	err = <-done
	close(sampling)
	if err != nil {
		return fr, err
	}
	fr.Files = indexed
	fr.Seconds = took.Seconds()
	fr.FilesPerSec = float64(indexed) / took.Seconds()
	fr.PeakHeapMiB = float64(peak.Load()) / (1 << 20)
	return fr, nil
}

// peakRSS reads the process's peak resident memory (Linux), in MiB.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
