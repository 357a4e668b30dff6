// Package infer runs ONNX models (embedders, rerankers, voice activity
// detection) on ONNX Runtime, on the CPU or through CUDA.
package infer

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrUnavailable means no usable ONNX Runtime library was found. Everything
// that does not need a neural model keeps working without it.
var ErrUnavailable = errors.New("ONNX Runtime is not available")

// Config says where the library is and how models run.
type Config struct {
	LibPath string // from the configuration; HOARD_ORT_LIB wins over it
	Threads int    // intra-op threads per session; 0: one per CPU
	Device  string // "cpu" (default) or "cuda"
	Logger  *slog.Logger
}

// The ONNX Runtime environment is process-wide (the library keeps it in C
// globals), so it is created once and shared by every Runtime.
var env struct {
	sync.Mutex
	path string
	refs int
}

// Runtime is a loaded ONNX Runtime. Sessions are created once per model file
// and shared: ONNX Runtime sessions are safe for concurrent Run calls.
type Runtime struct {
	cfg     Config
	log     *slog.Logger
	lib     string
	version string

	mu       sync.Mutex
	sessions map[string]*Session
	// asis: models whose graph the rewrite leaves (or fails on), so that
	// another embedder of the same file does not read it again.
	asis   map[string]bool
	closed bool
	cudaOK *bool
}

// FindLibrary returns the first ONNX Runtime library that exists among:
// $HOARD_ORT_LIB, the configured path, lib/ beside the executable or in the
// working folder, then the system's library paths (by name, left to the
// dynamic loader).
func FindLibrary(configured string) (string, []string) {
	var tried []string
	// An explicit setting is the only candidate: silently taking another
	// library would hide the mistake.
	for _, explicit := range []string{os.Getenv("HOARD_ORT_LIB"), configured} {
		if explicit != "" {
			if st, err := os.Stat(explicit); err == nil && !st.IsDir() {
				return explicit, []string{explicit}
			}
			return "", []string{explicit}
		}
	}
	var candidates []string
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		dirs = append(dirs, filepath.Join(dir, "lib"), filepath.Join(dir, "..", "lib"))
	}
	if wd, err := os.Getwd(); err == nil {
		// Tests run in package folders: look upward for the project's lib/.
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "lib"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	name := "libonnxruntime.so.1"
	switch runtime.GOOS {
	case "darwin":
		name = "libonnxruntime.dylib"
	case "windows":
		name = "onnxruntime.dll"
	}
	for _, d := range dirs {
		candidates = append(candidates, filepath.Join(d, name))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		tried = append(tried, c)
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, tried
		}
	}
	// Last, the system paths: the loader resolves a bare name.
	for _, d := range []string{"/usr/lib", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"} {
		c := filepath.Join(d, name)
		tried = append(tried, c)
		if _, err := os.Stat(c); err == nil {
			return c, tried
		}
	}
	return "", tried
}

// Open loads ONNX Runtime. A missing or unusable library gives an error
// wrapping ErrUnavailable that says what to do.
func Open(cfg Config) (*Runtime, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
	}
	lib, tried := FindLibrary(cfg.LibPath)
	if lib == "" {
		return nil, fmt.Errorf("%w: libonnxruntime not found (looked in %d places, first %s); run `make ort` in the Hoard source folder, or set HOARD_ORT_LIB to the library's path", ErrUnavailable, len(tried), first(tried))
	}
	env.Lock()
	defer env.Unlock()
	if env.refs == 0 {
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			return nil, fmt.Errorf("%w: %s could not be loaded (%v); Hoard needs ONNX Runtime 1.22 or newer: run `make ort`, or point HOARD_ORT_LIB at a newer library", ErrUnavailable, lib, err)
		}
		env.path = lib
	} else if env.path != lib {
		cfg.Logger.Info("onnx runtime already loaded from another path", "loaded", env.path, "asked", lib)
		lib = env.path
	}
	env.refs++
	return &Runtime{cfg: cfg, log: cfg.Logger, lib: lib, version: ort.GetVersion(), sessions: map[string]*Session{}}, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Library is the loaded library's path; Version its version.
func (r *Runtime) Library() string { return r.lib }
func (r *Runtime) Version() string { return r.version }

// Close releases the sessions; the environment goes when the last Runtime
// closes.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var errs []error
	for _, s := range r.sessions {
		errs = append(errs, s.s.Destroy())
	}
	r.sessions = nil
	r.mu.Unlock()
	env.Lock()
	defer env.Unlock()
	env.refs--
	if env.refs == 0 {
		errs = append(errs, ort.DestroyEnvironment())
	}
	return errors.Join(errs...)
}

// Session is one loaded model.
type Session struct {
	s       *ort.DynamicAdvancedSession
	Inputs  []string
	Outputs []string
	Device  string // where it runs: "cpu" or "cuda"
	rewrite Rewrite
}

// Session loads a model once, with the configured intra-op threads; later
// calls with the same file share it.
func (r *Runtime) Session(path string, inputs, outputs []string) (*Session, error) {
	return r.session(path, inputs, outputs, r.cfg.Threads)
}

// Threads is the configured intra-op threads per session.
func (r *Runtime) Threads() int { return r.cfg.Threads }

func (r *Runtime) session(path string, inputs, outputs []string, threads int) (*Session, error) {
	return r.load(path, nil, Rewrite{}, inputs, outputs, threads)
}

// asIs reports whether the graph under key is run as its file has it;
// mark records that it is.
func (r *Runtime) asIs(key string, mark bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mark {
		if r.asis == nil {
			r.asis = map[string]bool{}
		}
		r.asis[key] = true
	}
	return r.asis[key]
}

// cached returns the session already loaded under key, if any.
func (r *Runtime) cached(key string, threads int) (*Session, Rewrite) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.sessions[fmt.Sprintf("%s#%d", key, threads)]; ok {
		return s, s.rewrite
	}
	return nil, Rewrite{}
}

// load loads a model file, or from data when given (a rewritten graph,
// cached under path as its key).
func (r *Runtime) load(path string, data []byte, rw Rewrite, inputs, outputs []string, threads int) (*Session, error) {
	key := fmt.Sprintf("%s#%d", path, threads)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("onnx runtime is closed")
	}
	if s, ok := r.sessions[key]; ok {
		return s, nil
	}
	if data == nil {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("model file: %w", err)
		}
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	// Fuse attention, layer norm and GELU into single kernels.
	if err := opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll); err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	device := "cpu"
	if r.cfg.Device == "cuda" && r.cudaUsable(opts) {
		device = "cuda"
	}
	var s *ort.DynamicAdvancedSession
	if data != nil {
		s, err = ort.NewDynamicAdvancedSessionWithONNXData(data, inputs, outputs, opts)
	} else {
		s, err = ort.NewDynamicAdvancedSession(path, inputs, outputs, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", filepath.Base(path), err)
	}
	sess := &Session{s: s, Inputs: inputs, Outputs: outputs, Device: device, rewrite: rw}
	r.sessions[key] = sess
	return sess, nil
}

// cudaUsable appends the CUDA execution provider, or logs once why the CPU
// is used instead.
func (r *Runtime) cudaUsable(opts *ort.SessionOptions) bool {
	if r.cudaOK != nil && !*r.cudaOK {
		return false
	}
	ok := func() error {
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return err
		}
		defer co.Destroy()
		return opts.AppendExecutionProviderCUDA(co)
	}()
	usable := ok == nil
	if r.cudaOK == nil && !usable {
		r.log.Warn("CUDA is not available to ONNX Runtime; running models on the CPU", "reason", ok)
	}
	r.cudaOK = &usable
	return usable
}

// Run evaluates the model; outputs are allocated by ONNX Runtime and must be
// destroyed by the caller.
func (s *Session) Run(inputs []ort.Value) ([]ort.Value, error) {
	outs := make([]ort.Value, len(s.Outputs))
	if err := s.s.Run(inputs, outs); err != nil {
		return nil, err
	}
	return outs, nil
}
