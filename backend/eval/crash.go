package eval

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

// CrashOptions say how `hoard bench crash` kills Hoard.
type CrashOptions struct {
	Bin    string   // the hoard binary
	Dir    string   // work folder
	Modes  []string // add, watch, serve
	Trials int      // per mode
	Notes  int      // notes a trial writes or adds
	Log    func(format string, args ...any)
}

// CrashRow is one mode's result over its trials.
type CrashRow struct {
	Mode      string `json:"mode"`
	Trials    int    `json:"trials"`
	Killed    int    `json:"killed"`    // trials where the kill came while work was under way
	Stored    int    `json:"stored"`    // notes the vault held once the work was finished
	Lost      int    `json:"lost"`      // notes written (or whose upload was accepted) and missing after
	Torn      int    `json:"torn"`      // documents with part of a note
	Twice     int    `json:"twice"`     // notes stored as two documents
	Integrity int    `json:"integrity"` // vaults whose integrity check failed after the kill
}

var noteMark = regexp.MustCompile(`\b(start|end)q(\d+)q\b`)

// crashNote is note i: its first and last words mark it, so a document
// holding one and not the other is torn.
func crashNote(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Note %d\n\nstartq%dq opens this note.\n\n", i, i)
	for p := range 30 {
		fmt.Fprintf(&b, "Paragraph %d of note %d, about topic%d, with enough words to fill a chunk or two of text. ", p, i, (i+p)%37)
		if p%6 == 5 {
			b.WriteString("\n\n## More\n\n")
		}
	}
	fmt.Fprintf(&b, "\n\nThis note closes with endq%dq.\n", i)
	return b.String()
}

// CrashAudit kills the binary with SIGKILL at a random moment of real work,
// Trials times per mode, checks the vault it left (SQLite and full-text
// integrity), finishes the work with `hoard add`, and counts what was lost,
// torn or stored twice.
func CrashAudit(ctx context.Context, opt CrashOptions) ([]CrashRow, error) {
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	if opt.Notes <= 0 {
		opt.Notes = 300
	}
	var rows []CrashRow
	for _, mode := range opt.Modes {
		row := CrashRow{Mode: mode}
		for trial := range opt.Trials {
			dir := filepath.Join(opt.Dir, fmt.Sprintf("%s-%d", mode, trial))
			os.RemoveAll(dir)
			src, vdir := filepath.Join(dir, "notes"), filepath.Join(dir, "vault")
			if err := os.MkdirAll(src, 0o755); err != nil {
				return nil, err
			}
			wait := time.Duration(200+rand.IntN(1800)) * time.Millisecond
			var want []int // notes that must be in the vault once finished
			var killedBusy bool
			var err error
			switch mode {
			case "add":
				want, killedBusy, err = crashAdd(ctx, opt, src, vdir, wait)
			case "watch":
				want, killedBusy, err = crashWatch(ctx, opt, src, vdir, wait)
			case "serve":
				want, killedBusy, err = crashServe(ctx, opt, vdir, wait)
			default:
				return nil, fmt.Errorf("unknown mode %q (add, watch, serve)", mode)
			}
			if err != nil {
				return nil, fmt.Errorf("%s trial %d: %w", mode, trial, err)
			}
			row.Trials++
			if killedBusy {
				row.Killed++
			}
			v, err := vault.Open(ctx, vdir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
			if err != nil {
				return nil, fmt.Errorf("%s trial %d: the vault does not open after the kill: %w", mode, trial, err)
			}
			if err := v.Check(ctx); err != nil {
				row.Integrity++
				opt.Log("%s trial %d: %v", mode, trial, err)
			}
			v.Close()
			// Finish the work as a user would: the folder added again (add,
			// watch), or the queue finished (serve's uploads).
			args := []string{"--vault", vdir, "--embedder", "none", "add"}
			if mode != "serve" {
				args = append(args, src)
			}
			if out, err := exec.CommandContext(ctx, opt.Bin, args...).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("%s trial %d: finishing: %w: %s", mode, trial, err, out)
			}
			stored, torn, twice, err := crashCount(ctx, vdir)
			if err != nil {
				return nil, fmt.Errorf("%s trial %d: %w", mode, trial, err)
			}
			for _, i := range want {
				if !stored[i] {
					row.Lost++
				}
			}
			row.Stored += len(stored)
			row.Torn += torn
			row.Twice += twice
			opt.Log("%s trial %d: killed after %v, %d notes stored, %d torn, %d twice", mode, trial, wait, len(stored), torn, twice)
			os.RemoveAll(dir)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func crashAdd(ctx context.Context, opt CrashOptions, src, vdir string, wait time.Duration) ([]int, bool, error) {
	var want []int
	for i := range opt.Notes {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("note-%04d.md", i)), []byte(crashNote(i)), 0o644); err != nil {
			return nil, false, err
		}
		want = append(want, i)
	}
	cmd := exec.CommandContext(ctx, opt.Bin, "--vault", vdir, "--embedder", "none", "add", src)
	busy, err := killAfter(cmd, wait)
	return want, busy, err
}

func crashWatch(ctx context.Context, opt CrashOptions, src, vdir string, wait time.Duration) ([]int, bool, error) {
	cmd := exec.CommandContext(ctx, opt.Bin, "--vault", vdir, "--embedder", "none", "watch", src)
	var mu sync.Mutex
	var want []int
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // bursts of saved notes while the watcher runs
		defer close(done)
		for i := range opt.Notes {
			select {
			case <-stop:
				return
			default:
			}
			if os.WriteFile(filepath.Join(src, fmt.Sprintf("note-%04d.md", i)), []byte(crashNote(i)), 0o644) == nil {
				mu.Lock()
				want = append(want, i)
				mu.Unlock()
			}
			if i%25 == 24 {
				time.Sleep(30 * time.Millisecond)
			}
		}
	}()
	busy, err := killAfter(cmd, wait)
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	return want, busy, err
}

func crashServe(ctx context.Context, opt CrashOptions, vdir string, wait time.Duration) ([]int, bool, error) {
	const token = "crash-audit-token-of-enough-length"
	cmd, addr, err := startServe(ctx, opt.Bin, vdir, token)
	if err != nil {
		return nil, false, err
	}
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, false, fmt.Errorf("serve did not listen")
		}
	}
	var want []int
	killAt := time.Now().Add(wait) // from when it listens: start-up is no work
	refused := 0
	for i := 0; i < opt.Notes && time.Now().Before(killAt); i += 5 {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k := i; k < i+5 && k < opt.Notes; k++ {
			fw, _ := mw.CreateFormFile("file", fmt.Sprintf("note-%04d.md", k))
			io.WriteString(fw, crashNote(k))
		}
		mw.Close()
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/documents", &body)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 == 2 { // accepted: it must not be lost
			for k := i; k < i+5 && k < opt.Notes; k++ {
				want = append(want, k)
			}
		} else if refused++; refused == 1 {
			opt.Log("an upload was refused: %s", resp.Status)
		}
	}
	time.Sleep(time.Until(killAt))
	busy := cmd.ProcessState == nil
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	return want, busy, nil
}

// killAfter runs cmd and kills it with SIGKILL after wait; busy is false
// when it had ended on its own before.
func killAfter(cmd *exec.Cmd, wait time.Duration) (bool, error) {
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return false, err
	}
	ended := make(chan struct{})
	go func() { cmd.Wait(); close(ended) }()
	select {
	case <-ended:
		return false, nil
	case <-time.After(wait):
		cmd.Process.Signal(syscall.SIGKILL)
		<-ended
		return true, nil
	}
}

// crashCount reads every document of the vault: which notes it holds whole,
// how many documents hold part of one, and notes held twice.
func crashCount(ctx context.Context, vdir string) (map[int]bool, int, int, error) {
	v, err := vault.Open(ctx, vdir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		return nil, 0, 0, err
	}
	defer v.Close()
	docs, _, err := v.Documents(ctx, store.ListOptions{Limit: 1 << 20})
	if err != nil {
		return nil, 0, 0, err
	}
	stored := map[int]bool{}
	torn, twice := 0, 0
	for _, d := range docs {
		text, _, err := v.Text(ctx, d.ID)
		if err != nil {
			return nil, 0, 0, err
		}
		marks := map[string]map[string]bool{}
		for _, m := range noteMark.FindAllStringSubmatch(text, -1) {
			if marks[m[2]] == nil {
				marks[m[2]] = map[string]bool{}
			}
			marks[m[2]][m[1]] = true
		}
		for n, m := range marks {
			if !m["start"] || !m["end"] {
				torn++
				continue
			}
			var i int
			fmt.Sscan(n, &i)
			if stored[i] {
				twice++
			}
			stored[i] = true
		}
	}
	return stored, torn, twice, nil
}
