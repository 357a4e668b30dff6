package llm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerBinary is the name of llama.cpp's server, Hoard's built-in runner.
const ServerBinary = "llama-server"

// FindServer looks for llama-server: $HOARD_LLAMA_SERVER, beside the hoard
// executable, in the models folder (or its bin/), then on PATH.
func FindServer(modelsDir string) (string, error) {
	if p := os.Getenv("HOARD_LLAMA_SERVER"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("HOARD_LLAMA_SERVER=%s is not an executable file", p)
	}
	var places []string
	if exe, err := os.Executable(); err == nil {
		places = append(places, filepath.Join(filepath.Dir(exe), ServerBinary))
	}
	if modelsDir != "" {
		places = append(places, filepath.Join(modelsDir, ServerBinary), filepath.Join(modelsDir, "bin", ServerBinary))
	}
	for _, p := range places {
		if isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(ServerBinary); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("the built-in runner (%s) is not installed: `make setup` builds it into bin/, or put it beside hoard or in %s", ServerBinary, modelsDir)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// BuiltinModel is the model the built-in runner serves.
type BuiltinModel struct {
	Name    string // as Models lists it
	Path    string // the GGUF file
	Context int    // context window in tokens (default 4096)
}

// BuiltinOptions configure the built-in runner.
type BuiltinOptions struct {
	Server  string // the llama-server binary
	Threads int    // 0: llama-server's default
	// Idle stops the server after this long without a request (default 10
	// minutes); the next request starts it again.
	Idle time.Duration
	// Start bounds the wait for a new server's health check (default 2
	// minutes: a large model loads slowly from a cold disk).
	Start time.Duration
	Log   *slog.Logger
	// Args are extra llama-server arguments.
	Args []string
	// RunDir keeps a record of each running server; a runner sweeps it
	// when it is made and before it starts a server, stopping the servers
	// of a Hoard that ended without stopping them (SweepOrphans). Empty:
	// no records.
	RunDir string
	// NoDeathSignal starts servers without Linux's parent-death signal, as
	// on the systems that have none: for the tests of the sweep.
	NoDeathSignal bool
}

// Builtin is Hoard's own chat runner: llama.cpp's llama-server, started on
// demand as a child process bound to 127.0.0.1 on a free port with a key
// Hoard makes, spoken to with the OpenAI-compatible client. It restarts a
// server that crashed, stops one left idle, and switches models without a
// restart of Hoard. Close stops it; on Linux the server also dies with
// Hoard (kill -9 included).
type Builtin struct {
	o BuiltinOptions

	mu       sync.Mutex
	model    BuiltinModel
	proc     *serverProc // nil: not running
	busy     int
	last     time.Time
	idle     *time.Timer
	notes    []string // said in the next Response (a crash, a restart)
	restarts int
	closed   bool
}

// NewBuiltin makes a runner for a model; nothing starts until it is used.
func NewBuiltin(o BuiltinOptions, m BuiltinModel) *Builtin {
	if o.Idle <= 0 {
		o.Idle = 10 * time.Minute
	}
	if o.Start <= 0 {
		o.Start = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	SweepOrphans(o.RunDir, o.Log)
	return &Builtin{o: o, model: m.withDefaults()}
}

func (m BuiltinModel) withDefaults() BuiltinModel {
	if m.Context <= 0 {
		m.Context = 4096
	}
	return m
}

// Name is the provider's name.
func (b *Builtin) Name() string { return "builtin" }

// Model is the model the next request is served by.
func (b *Builtin) Model() BuiltinModel {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.model
}

// SetModel switches the model: a running server for another one stops once
// no request uses it, and the next request starts the new one.
func (b *Builtin) SetModel(m BuiltinModel) {
	m = m.withDefaults()
	b.mu.Lock()
	defer b.mu.Unlock()
	if m == b.model {
		return
	}
	b.model = m
	if b.proc != nil && b.busy == 0 {
		p := b.proc
		b.proc = nil
		go p.stop()
	}
}

// Models lists the one model this runner serves.
func (b *Builtin) Models(context.Context) ([]string, error) { return []string{b.Model().Name}, nil }

// Restarts counts the servers started again after one stopped unexpectedly.
func (b *Builtin) Restarts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.restarts
}

// PID is the running server's process id, 0 when none runs.
func (b *Builtin) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.proc == nil || b.proc.exited() {
		return 0
	}
	return b.proc.cmd.Process.Pid
}

// Close stops the server; the runner cannot be used after.
func (b *Builtin) Close() error {
	b.mu.Lock()
	b.closed = true
	p := b.proc
	b.proc = nil
	if b.idle != nil {
		b.idle.Stop()
	}
	b.mu.Unlock()
	if p != nil {
		p.stop()
	}
	return nil
}

// ErrClosed means the runner was closed.
var ErrClosed = errors.New("the built-in runner is closed")

// acquire returns a running server for the current model, starting one
// when needed, and counts the caller as busy until release.
func (b *Builtin) acquire(ctx context.Context) (*serverProc, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if b.proc != nil && b.proc.exited() {
		// It stopped without being asked: a crash, or killed from outside.
		b.notes = append(b.notes, fmt.Sprintf("the built-in runner had stopped (%s); restarted", b.proc.exitReason()))
		b.o.Log.Warn("built-in runner stopped unexpectedly; restarting", "model", b.model.Name, "reason", b.proc.exitReason())
		b.proc = nil
		b.restarts++
	}
	if b.proc != nil && b.proc.model != b.model && b.busy == 0 {
		p := b.proc
		b.proc = nil
		go p.stop()
	}
	if b.proc == nil {
		p, err := b.start(ctx, b.model)
		if err != nil {
			return nil, err
		}
		b.proc = p
	}
	b.busy++
	return b.proc, nil
}

func (b *Builtin) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.busy--
	b.last = time.Now()
	if b.idle != nil {
		b.idle.Stop()
	}
	b.idle = time.AfterFunc(b.o.Idle, b.stopIfIdle)
	if b.proc != nil && b.proc.model != b.model && b.busy == 0 {
		p := b.proc
		b.proc = nil
		go p.stop()
	}
}

func (b *Builtin) stopIfIdle() {
	b.mu.Lock()
	if b.busy > 0 || b.proc == nil || time.Since(b.last) < b.o.Idle {
		b.mu.Unlock()
		return
	}
	p := b.proc
	b.proc = nil
	b.mu.Unlock()
	b.o.Log.Info("built-in runner stopped after being idle", "idle", b.o.Idle)
	p.stop()
}

// takeNotes returns and clears what the next answer should say.
func (b *Builtin) takeNotes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.notes
	b.notes = nil
	return n
}

// Chat streams a completion from the built-in runner. A server that dies
// before the answer starts is restarted and asked once more.
func (b *Builtin) Chat(ctx context.Context, r Request, onDelta func(string) error) (Response, error) {
	for attempt := 0; ; attempt++ {
		p, err := b.acquire(ctx)
		if err != nil {
			return Response{}, err
		}
		streamed := false
		resp, err := p.client.Chat(ctx, r, func(s string) error {
			streamed = true
			if onDelta != nil {
				return onDelta(s)
			}
			return nil
		})
		b.release()
		var apiErr *APIError
		if err != nil && ctx.Err() == nil && !errors.As(err, &apiErr) && p.waitExit(2*time.Second) {
			err = fmt.Errorf("the built-in runner stopped (%s): %w", p.exitReason(), err)
			if !streamed && attempt == 0 {
				continue
			}
		}
		resp.Notes = append(b.takeNotes(), resp.Notes...)
		if resp.Model == "" || strings.HasSuffix(resp.Model, ".gguf") {
			resp.Model = p.model.Name
		}
		return resp, err
	}
}

// ContextSize is the running model's context window in tokens, as the
// server reports it (/props); model is the one running.
func (b *Builtin) ContextSize(ctx context.Context, _ string) (int, error) {
	p, err := b.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer b.release()
	return p.contextSize(ctx)
}

// CountTokens counts the tokens of a text with the model's own tokenizer
// (/tokenize).
func (b *Builtin) CountTokens(ctx context.Context, _, text string) (int, error) {
	p, err := b.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer b.release()
	var out struct {
		Tokens []json.RawMessage `json:"tokens"`
	}
	if err := p.post(ctx, "/tokenize", map[string]any{"content": text}, &out); err != nil {
		return 0, fmt.Errorf("tokenize: %w", err)
	}
	return len(out.Tokens), nil
}

// serverProc is one running llama-server.
type serverProc struct {
	model  BuiltinModel
	cmd    *exec.Cmd
	base   string
	key    string
	client *OpenAI
	log    *tail
	done   chan struct{} // closed once the process has exited
	err    error         // its exit status, once done
	mu     sync.Mutex
	nctx   int
	runDir string // where its record is kept ("": none)
}

func (p *serverProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *serverProc) waitExit(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

func (p *serverProc) exitReason() string {
	if !p.exited() {
		return "running"
	}
	msg := "exited"
	if p.err != nil {
		msg = p.err.Error()
	}
	if last := p.log.last(); last != "" {
		msg += ": " + last
	}
	return msg
}

// stop asks the server to end (SIGTERM), then kills it.
func (p *serverProc) stop() {
	if p.exited() {
		return
	}
	// Where SIGTERM cannot be sent (Windows), it is killed at once.
	if p.cmd.Process.Signal(syscall.SIGTERM) != nil || !p.waitExit(5*time.Second) {
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *serverProc) contextSize(ctx context.Context) (int, error) {
	p.mu.Lock()
	n := p.nctx
	p.mu.Unlock()
	if n > 0 {
		return n, nil
	}
	var props struct {
		Settings struct {
			NCtx int `json:"n_ctx"`
		} `json:"default_generation_settings"`
	}
	if err := p.get(ctx, "/props", &props); err != nil {
		return 0, fmt.Errorf("the runner's context size: %w", err)
	}
	if props.Settings.NCtx <= 0 {
		return 0, fmt.Errorf("the runner reports no context size")
	}
	p.mu.Lock()
	p.nctx = props.Settings.NCtx
	p.mu.Unlock()
	return props.Settings.NCtx, nil
}

func (p *serverProc) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	return p.roundTrip(req, v)
}

func (p *serverProc) post(ctx context.Context, path string, body, v any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return p.roundTrip(req, v)
}

func (p *serverProc) roundTrip(req *http.Request, v any) error {
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		msg := openAIError(body)
		if msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		return &APIError{Status: resp.StatusCode, Message: msg}
	}
	return json.Unmarshal(body, v)
}

// start runs llama-server for a model and waits until its health check
// passes. The port is found free just before; should another program take
// it first, the server exits and the next port is tried.
func (b *Builtin) start(ctx context.Context, m BuiltinModel) (*serverProc, error) {
	if b.o.Server == "" {
		return nil, fmt.Errorf("the built-in runner has no %s", ServerBinary)
	}
	if _, err := os.Stat(m.Path); err != nil {
		return nil, fmt.Errorf("chat model %s: %w", m.Name, err)
	}
	SweepOrphans(b.o.RunDir, b.o.Log)
	var lastErr error
	for try := 0; try < 3; try++ {
		p, err := b.launch(ctx, m)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if ctx.Err() != nil || !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, lastErr
}

var errExitedEarly = errors.New("exited before it was ready")

func (b *Builtin) launch(ctx context.Context, m BuiltinModel) (*serverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	args := []string{"--model", m.Path, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--api-key", key, "--ctx-size", strconv.Itoa(m.Context), "--parallel", "1",
		"--alias", m.Name, "--no-webui"}
	if b.o.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(b.o.Threads))
	}
	args = append(args, b.o.Args...)
	// Not exec.CommandContext: the server outlives the request that
	// started it.
	cmd := exec.Command(b.o.Server, args...)
	// libgomp spin-waits between ggml's parallel sections unless told not
	// to, which takes the other programs' CPU on a small machine.
	cmd.Env = append(os.Environ(), "OMP_WAIT_POLICY=passive")
	cmd.SysProcAttr = childAttr()
	if b.o.NoDeathSignal {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	lg := newTail(40)
	cmd.Stdout, cmd.Stderr = lg, lg
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	p := &serverProc{model: m, cmd: cmd, base: base, key: key, log: lg, done: make(chan struct{}),
		client: NewOpenAI(Options{BaseURL: base, APIKey: key}), runDir: b.o.RunDir}
	if err := startChild(cmd, p); err != nil {
		return nil, fmt.Errorf("start %s: %w", b.o.Server, err)
	}
	if b.o.RunDir != "" {
		if err := writeRecord(b.o.RunDir, runRecord{PID: cmd.Process.Pid, Parent: os.Getpid(), Server: b.o.Server}); err != nil {
			b.o.Log.Warn("built-in runner: no record of the server is kept", "err", err)
		}
	}
	b.o.Log.Debug("built-in runner starting", "model", m.Name, "pid", cmd.Process.Pid, "port", port, "ctx", m.Context)
	if err := p.waitHealthy(ctx, b.o.Start); err != nil {
		p.stop()
		return nil, err
	}
	b.o.Log.Debug("built-in runner ready", "model", m.Name, "pid", cmd.Process.Pid)
	return p, nil
}

// startChild starts the process from a goroutine locked to its OS thread
// until the process ends: Linux sends the parent-death signal when the
// thread that forked the child ends, not the process, so that thread must
// live as long as the child.
func startChild(cmd *exec.Cmd, p *serverProc) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			runtime.UnlockOSThread()
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		removeRecord(p.runDir, cmd.Process.Pid)
		close(p.done)
		// The goroutine ends locked: the runtime retires its thread.
	}()
	return <-started
}

// waitHealthy polls /health until the model is loaded (200), the process
// exits, or the time is up.
func (p *serverProc) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/health", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("%s %w (%s)", ServerBinary, errExitedEarly, p.exitReason())
		case <-time.After(wait):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within %s (%s)", ServerBinary, limit, p.log.last())
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func newKey() (string, error) {
	var k [24]byte
	if _, err := rand.Read(k[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(k[:]), nil
}

// tail keeps the last lines a process wrote, for error messages.
type tail struct {
	mu    sync.Mutex
	n     int
	lines []string
	part  []byte
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(t.part[:i])); line != "" {
			t.lines = append(t.lines, line)
			if len(t.lines) > t.n {
				t.lines = t.lines[1:]
			}
		}
		t.part = t.part[i+1:]
	}
	return len(p), nil
}

// last is the last line that reads like an error, else the last line.
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.lines) - 1; i >= 0; i-- {
		l := strings.ToLower(t.lines[i])
		if strings.Contains(l, "error") || strings.Contains(l, "failed") {
			return t.lines[i]
		}
	}
	if len(t.lines) > 0 {
		return t.lines[len(t.lines)-1]
	}
	return ""
}
