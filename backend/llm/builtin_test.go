//go:build linux

package llm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/llm"
)

// runnerParts finds llama-server and the test model (testdata.Runner: it
// skips, or fails in CI, when either is missing).
func runnerParts(t *testing.T) (server string, model llm.BuiltinModel) {
	t.Helper()
	server, gguf := testdata.Runner(t)
	return server, llm.BuiltinModel{Name: testdata.ChatModel, Path: gguf, Context: 2048}
}

func newRunner(t *testing.T, o llm.BuiltinOptions) (*llm.Builtin, llm.BuiltinModel) {
	t.Helper()
	server, m := runnerParts(t)
	o.Server = server
	if o.Threads == 0 {
		o.Threads = 2
	}
	b := llm.NewBuiltin(o, m)
	t.Cleanup(func() { b.Close() })
	return b, m
}

func ask(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: "user", Content: text}}, MaxTokens: 24}
}

func alive(pid int) bool { return llm.ProcessRuns(pid) }

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("llama-server %d still runs after %s", pid, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The runner starts llama-server on first use, streams the answer in
// pieces, serves only 127.0.0.1 and only with the key Hoard made, and
// reports the context it was given and token counts from the model's own
// tokenizer.
func TestBuiltinStreams(t *testing.T) {
	b, m := newRunner(t, llm.BuiltinOptions{})
	if b.PID() != 0 {
		t.Fatal("the server started before it was used")
	}
	ctx := context.Background()
	var pieces []string
	resp, err := b.Chat(ctx, ask("Count from one to ten."), func(s string) error { pieces = append(pieces, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(pieces) < 2 || strings.Join(pieces, "") != resp.Text || resp.Text == "" {
		t.Fatalf("%d pieces %q, text %q", len(pieces), pieces, resp.Text)
	}
	if resp.Model != m.Name || resp.PromptTokens == 0 || resp.CompletionTokens == 0 {
		t.Errorf("response %+v", resp)
	}
	n, err := b.ContextSize(ctx, "")
	if err != nil || n != m.Context {
		t.Errorf("context %d (%v), want %d", n, err, m.Context)
	}
	tokens, err := b.CountTokens(ctx, "", "Hoard keeps your notes.")
	if err != nil || tokens < 3 || tokens > 12 {
		t.Errorf("%d tokens (%v)", tokens, err)
	}
	// Another program on the machine cannot use the server without the key.
	port := listeningPort(t, b.PID())
	for _, key := range []string{"", "wrong"} {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+"/v1/models", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("key %q: HTTP %d, want 401", key, resp.StatusCode)
		}
	}
}

// listeningPort reads the server's --port from its command line.
func listeningPort(t *testing.T, pid int) string {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(string(raw), "\x00")
	for i, a := range args {
		if a == "--port" && i+1 < len(args) {
			if args[i-1] != "127.0.0.1" {
				t.Errorf("bound to %s", args[i-1])
			}
			return args[i+1]
		}
	}
	t.Fatalf("no --port in %q", args)
	return ""
}

// Cancelling a question stops its answer at once; the server stays up and
// answers the next one.
func TestBuiltinCancel(t *testing.T) {
	b, _ := newRunner(t, llm.BuiltinOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	long := ask("Write a long story about a lighthouse keeper.")
	long.MaxTokens = 2000
	_, err := b.Chat(ctx, long, func(string) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	pid := b.PID()
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("cancel took %s", took)
	}
	// A stop asked for by the caller (onDelta's error) ends it too.
	stop := errors.New("enough")
	if _, err := b.Chat(context.Background(), long, func(string) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("stopped: %v", err)
	}
	resp, err := b.Chat(context.Background(), ask("Say hello."), nil)
	if err != nil || resp.Text == "" {
		t.Fatalf("after a cancel: %q %v", resp.Text, err)
	}
	if b.PID() != pid || b.Restarts() != 0 {
		t.Errorf("the server was restarted (pid %d → %d)", pid, b.PID())
	}
}

// A server that crashes (kill -9 from outside) is started again for the
// next question, which says so; one killed in the middle of an answer ends
// that answer with an error naming it.
func TestBuiltinRestartsAfterCrash(t *testing.T) {
	b, _ := newRunner(t, llm.BuiltinOptions{})
	ctx := context.Background()
	if _, err := b.Chat(ctx, ask("Say hello."), nil); err != nil {
		t.Fatal(err)
	}
	first := b.PID()
	syscall.Kill(first, syscall.SIGKILL)
	waitGone(t, first, 5*time.Second)
	resp, err := b.Chat(ctx, ask("Say hello."), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Restarts() != 1 || b.PID() == first || len(resp.Notes) != 1 || !strings.Contains(resp.Notes[0], "restarted") {
		t.Fatalf("restarts %d, pid %d (was %d), notes %q", b.Restarts(), b.PID(), first, resp.Notes)
	}
	// Killed mid-answer.
	long := ask("Write a long story about a lighthouse keeper.")
	long.MaxTokens = 2000
	second := b.PID()
	_, err = b.Chat(ctx, long, func(string) error {
		syscall.Kill(second, syscall.SIGKILL)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("killed mid-answer: %v", err)
	}
	resp, err = b.Chat(ctx, ask("Say hello."), nil)
	if err != nil || b.Restarts() != 2 || len(resp.Notes) != 1 {
		t.Fatalf("after a kill mid-answer: %v, restarts %d, notes %q", err, b.Restarts(), resp.Notes)
	}
}

// An idle server stops; the next question starts it again.
func TestBuiltinStopsWhenIdle(t *testing.T) {
	b, _ := newRunner(t, llm.BuiltinOptions{Idle: time.Second})
	ctx := context.Background()
	if _, err := b.Chat(ctx, ask("Say hello."), nil); err != nil {
		t.Fatal(err)
	}
	pid := b.PID()
	waitGone(t, pid, 15*time.Second)
	if b.PID() != 0 {
		t.Fatalf("pid %d after the idle stop", b.PID())
	}
	if _, err := b.Chat(ctx, ask("Say hello."), nil); err != nil || b.PID() == 0 {
		t.Fatalf("after the idle stop: %v", err)
	}
	if b.Restarts() != 0 {
		t.Errorf("an idle stop counted as a crash")
	}
}

// Switching models needs no restart of Hoard: the old server stops, the
// next question starts one for the new model.
func TestBuiltinSwitchesModels(t *testing.T) {
	b, m := newRunner(t, llm.BuiltinOptions{})
	ctx := context.Background()
	if n, err := b.ContextSize(ctx, ""); err != nil || n != m.Context {
		t.Fatalf("context %d (%v)", n, err)
	}
	old := b.PID()
	other := m
	other.Name, other.Context = "other", 1024
	b.SetModel(other)
	waitGone(t, old, 10*time.Second)
	if n, err := b.ContextSize(ctx, ""); err != nil || n != 1024 {
		t.Fatalf("after the switch: context %d (%v)", n, err)
	}
	resp, err := b.Chat(ctx, ask("Say hello."), nil)
	if err != nil || resp.Model != "other" {
		t.Fatalf("after the switch: %+v %v", resp, err)
	}
}

// A missing model file or server is a clear error, and nothing is left
// running.
func TestBuiltinStartErrors(t *testing.T) {
	server, m := runnerParts(t)
	for name, tc := range map[string]struct {
		server, model, want string
	}{
		"no model":     {server, filepath.Join(t.TempDir(), "missing.gguf"), "missing.gguf"},
		"not a model":  {server, writeFile(t, "bad.gguf", "GGUF but not really"), "exited before it was ready"},
		"no server":    {filepath.Join(t.TempDir(), "llama-server"), m.Path, "start"},
		"empty server": {"", m.Path, "llama-server"},
	} {
		t.Run(name, func(t *testing.T) {
			b := llm.NewBuiltin(llm.BuiltinOptions{Server: tc.server, Threads: 2}, llm.BuiltinModel{Name: "x", Path: tc.model})
			defer b.Close()
			_, err := b.Chat(context.Background(), ask("hi"), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			if b.PID() != 0 {
				t.Errorf("a server runs: %d", b.PID())
			}
		})
	}
}

func writeFile(t *testing.T, name, body string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runnerChild is set in the process TestBuiltinDiesWithHoard starts: it
// plays Hoard, starts the runner, prints the server's pid and waits to be
// killed.
const runnerChild = "HOARD_TEST_RUNNER_CHILD"

func TestRunnerChild(t *testing.T) {
	if os.Getenv(runnerChild) != "1" {
		t.Skip("started by TestBuiltinDiesWithHoard")
	}
	// With a run folder: the server has no parent-death signal, as on
	// systems without one, and a record of it is kept there.
	dir := os.Getenv(runnerDir)
	b, _ := newRunner(t, llm.BuiltinOptions{RunDir: dir, NoDeathSignal: dir != ""})
	if _, err := b.ContextSize(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("pid %d\n", b.PID())
	time.Sleep(time.Minute)
}

const runnerDir = "HOARD_TEST_RUNNER_DIR"

// startRunnerChild starts a process that plays Hoard with a runner (see
// TestRunnerChild) and returns it with its server's pid.
func startRunnerChild(t *testing.T, env ...string) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunnerChild$", "-test.v")
	cmd.Env = append(append(os.Environ(), runnerChild+"=1"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "pid "); ok {
			pid, _ := strconv.Atoi(v)
			return cmd, pid
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatal("the child printed no server pid")
	return nil, 0
}

// Where a killed Hoard's server outlives it (no parent-death signal: macOS,
// Windows), the next runner stops it from the record kept in the run
// folder. A record whose Hoard still runs is left, and a recorded pid now
// held by another program is not touched.
func TestOrphanStoppedByTheNextRunner(t *testing.T) {
	server, m := runnerParts(t)
	dir := t.TempDir()
	cmd, pid := startRunnerChild(t, runnerDir+"="+dir)
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("llama-server-%d.json", pid))); err != nil {
		t.Fatalf("no record of server %d: %v", pid, err)
	}
	cmd.Process.Kill() // SIGKILL: no deferred Close runs
	cmd.Wait()
	time.Sleep(300 * time.Millisecond)
	if !alive(pid) {
		t.Fatalf("server %d ended with its Hoard although it had no death signal", pid)
	}

	// A process that took a recorded pid, and a record of a live Hoard.
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("llama-server-%d.json", other.Process.Pid)),
		[]byte(fmt.Sprintf(`{"pid":%d,"parent":%d,"server":%q}`, other.Process.Pid, cmd.Process.Pid, server)), 0o600)
	live := filepath.Join(dir, "llama-server-1.json")
	os.WriteFile(live, []byte(fmt.Sprintf(`{"pid":1,"parent":%d,"server":%q}`, os.Getppid(), server)), 0o600)

	b := llm.NewBuiltin(llm.BuiltinOptions{Server: server, RunDir: dir}, m)
	defer b.Close()
	waitGone(t, pid, 5*time.Second)
	if !alive(other.Process.Pid) {
		t.Error("a process that took a recorded pid was stopped")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("the record of a server whose Hoard runs was removed")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "llama-server-*.json"))
	if len(left) != 1 {
		t.Errorf("records left: %v, want only the live Hoard's", left)
	}
}

// kill -9 of Hoard leaves no llama-server behind (Linux: the parent-death
// signal, from a thread that lives as long as the server).
func TestBuiltinDiesWithHoard(t *testing.T) {
	runnerParts(t)
	for try := 0; try < 3; try++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunnerChild$", "-test.v")
		cmd.Env = append(os.Environ(), runnerChild+"=1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := 0
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "pid "); ok {
				pid, _ = strconv.Atoi(v)
				break
			}
		}
		if pid == 0 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("try %d: the child printed no server pid", try)
		}
		if !alive(pid) {
			t.Fatalf("try %d: server %d is not running", try, pid)
		}
		cmd.Process.Kill() // SIGKILL: no deferred Close runs
		cmd.Wait()
		waitGone(t, pid, 5*time.Second)
	}
}

func TestFindServer(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, llm.ServerBinary)
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(t.TempDir(), llm.ServerBinary)
	os.WriteFile(plain, []byte("not executable"), 0o644)
	t.Setenv("PATH", t.TempDir())
	for _, tc := range []struct {
		name, env, models, want, err string
	}{
		{"models folder", "", dir, exe, ""},
		{"env", exe, "", exe, ""},
		{"env not executable", plain, dir, "", "not an executable"},
		{"nowhere", "", t.TempDir(), "", "make setup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOARD_LLAMA_SERVER", tc.env)
			got, err := llm.FindServer(tc.models)
			if got != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("FindServer = %q, %v; want %q, %q", got, err, tc.want, tc.err)
			}
		})
	}
}
