package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// EventsOptions say what `hoard bench events` measures: a `hoard serve`
// process (any build: the bench talks to it over HTTP, so two builds can be
// compared in one run) on a vault of Docs documents, with each number of
// open /api/events streams.
type EventsOptions struct {
	Bin     string // the hoard binary to serve with
	Dir     string // work folder (the corpus and the vault)
	Docs    int
	Streams []int
	Seconds float64
	Log     func(format string, args ...any)
}

// EventsRow is one number of open streams.
type EventsRow struct {
	Streams   int     `json:"streams"`
	IdleCores float64 `json:"idle_cores"` // the server's CPU while nothing changes, in cores
	SearchQPS float64 `json:"search_qps"` // one client searching as fast as it can
}

// EventsCost builds the vault with the binary, serves it, and measures
// the server's idle CPU and search throughput with each number of open
// event streams.
func EventsCost(ctx context.Context, opt EventsOptions) ([]EventsRow, error) {
	if opt.Seconds <= 0 {
		opt.Seconds = 5
	}
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	corpus := filepath.Join(opt.Dir, "notes.jsonl")
	if err := writeNotes(corpus, opt.Docs); err != nil {
		return nil, err
	}
	vdir := filepath.Join(opt.Dir, "vault")
	if _, err := os.Stat(vdir); err != nil {
		opt.Log("indexing %d documents with %s", opt.Docs, opt.Bin)
		add := exec.CommandContext(ctx, opt.Bin, "--vault", vdir, "--embedder", "none", "add", corpus)
		if out, err := add.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s add: %w: %s", opt.Bin, err, out)
		}
	}
	const token = "bench-events-token"
	serve, addr, err := startServe(ctx, opt.Bin, vdir, token)
	if err != nil {
		return nil, err
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	base := "http://" + addr
	get := func(ctx context.Context, path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return http.DefaultClient.Do(req)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := get(ctx, "/api/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s serve did not answer", opt.Bin)
		}
	}
	words := []string{"topic", "river", "garden", "ledger", "harbor", "violet", "engine", "meadow"}
	search := func(i int) error {
		q := url.QueryEscape(words[i%len(words)] + " " + words[(i/len(words))%len(words)])
		resp, err := get(ctx, "/api/search?q="+q)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("search: %d %v", resp.StatusCode, err)
		}
		return nil
	}
	for i, t0 := 0, time.Now(); time.Since(t0) < time.Second; i++ {
		if err := search(i); err != nil { // warm the caches first
			return nil, err
		}
	}
	var rows []EventsRow
	for _, n := range opt.Streams {
		sctx, stop := context.WithCancel(ctx)
		opened := make(chan error, n)
		for range n {
			go func() {
				resp, err := get(sctx, "/api/events")
				if err != nil {
					opened <- err
					return
				}
				defer resp.Body.Close()
				r := bufio.NewReader(resp.Body)
				first := true
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if first && strings.HasPrefix(line, "data:") {
						first = false
						opened <- nil
					}
				}
			}()
		}
		for range n {
			if err := <-opened; err != nil {
				stop()
				return nil, fmt.Errorf("open a stream: %w", err)
			}
		}
		time.Sleep(time.Second) // settled
		before, err := cpuTicks(serve.Process.Pid)
		if err != nil {
			stop()
			return nil, err
		}
		t0 := time.Now()
		time.Sleep(time.Duration(opt.Seconds * float64(time.Second)))
		after, err := cpuTicks(serve.Process.Pid)
		if err != nil {
			stop()
			return nil, err
		}
		row := EventsRow{Streams: n, IdleCores: float64(after-before) / 100 / time.Since(t0).Seconds()}
		count := 0
		t0 = time.Now()
		for time.Since(t0).Seconds() < opt.Seconds {
			if err := search(count); err != nil {
				stop()
				return nil, err
			}
			count++
		}
		row.SearchQPS = float64(count) / time.Since(t0).Seconds()
		stop()
		opt.Log("%d streams: idle %.3f cores, search %.0f/s", n, row.IdleCores, row.SearchQPS)
		rows = append(rows, row)
		time.Sleep(500 * time.Millisecond)
	}
	return rows, nil
}

// cpuTicks is a process's user and system time in clock ticks (Linux).
func cpuTicks(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("the server's CPU time (Linux /proc): %w", err)
	}
	// The command name may hold spaces: the fields after it are fixed.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

// writeNotes writes n short notes as a BEIR corpus (one document each).
func writeNotes(path string, n int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	words := []string{"topic", "river", "garden", "ledger", "harbor", "violet", "engine", "meadow", "copper", "lantern", "orchard", "signal"}
	enc := json.NewEncoder(w)
	for i := range n {
		var b strings.Builder
		for k := range 40 {
			b.WriteString(words[(i*7+k*k)%len(words)])
			b.WriteString(fmt.Sprintf("%d ", (i+k)%97))
		}
		if err := enc.Encode(map[string]string{"_id": strconv.Itoa(i), "title": fmt.Sprintf("Note %d", i), "text": b.String()}); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startServe starts `hoard serve` on a free port of this machine, lexical
// only and with no language model.
func startServe(ctx context.Context, bin, vdir, token string) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, bin, "--vault", vdir, "--embedder", "none", "serve", "--addr", addr, "--token", token, "--llm", "none")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	return cmd, addr, cmd.Start()
}
