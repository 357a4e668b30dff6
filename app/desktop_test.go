//go:build desktop

package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

// The real desktop build (make desktop) under Xvfb: the window shows the
// Library screen with the vault's name in its title, then SIGTERM closes
// it cleanly, leaving a sound vault.
func TestWindowShowsLibraryAndQuits(t *testing.T) {
	d := newDesktop(t)
	w := d.start(t)
	d.waitScreen(t, "library.png", 30*time.Second, "Library", "vault is empty")
	if got := d.xdo(t, "search", "--onlyvisible", "--name", "^Hoard — vault$"); got == "" {
		t.Errorf("no window titled \"Hoard — vault\"")
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	w.waitExit(t, 20*time.Second)
	d.checkVault(t)
}

// Files and a folder dragged from another application (a plain GTK drag
// source offering text/uri-list, as file managers do) onto the window: an
// overlay shows while dragging, the drop is indexed where the files are
// (the folder recursively) and listed in the Library with a summary. A
// second launch on the vault brings the window to the front and exits 0;
// Ctrl+Q quits cleanly and the window's size and position come back at
// the next start, which Ctrl+W closes.
func TestWindowDropAndKeys(t *testing.T) {
	d := newDesktop(t)
	need(t, "xdotool", "cc", "pkg-config")
	samples := shared(t, "samples/docs/unstructured")
	source := buildDragSource(t)
	folder := filepath.Join(d.dir, "dropped folder")
	for name, from := range map[string]string{"nested/deeper/war-and-peace.txt": "book-war-and-peace-1p.txt", "memo.pdf": "fake-memo.pdf"} {
		copyFile(t, filepath.Join(samples, from), filepath.Join(folder, name))
	}
	file := filepath.Join(samples, "list-item-example.pdf")

	w := d.start(t)
	d.waitScreen(t, "before-drop.png", 30*time.Second, "vault is empty")

	src := exec.Command(source, file, folder)
	src.Env = d.env
	srcOut, err := src.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Process.Kill(); src.Wait() })
	if line, _ := bufio.NewReader(srcOut).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("drag source: %q", line)
	}
	time.Sleep(500 * time.Millisecond)
	// Press on the source (top left), move onto the window in steps (GTK
	// starts a drag past a threshold; each motion is a drag-motion), hold
	// still for the screenshot, release.
	d.xdo(t, "mousemove", "80", "80", "mousedown", "1")
	for x := 100; x <= 700; x += 60 {
		d.xdo(t, "mousemove", strconv.Itoa(x), "650") // below the overlay's label
		time.Sleep(100 * time.Millisecond)
	}
	d.waitScreen(t, "drag.png", 10*time.Second, "Drop to add to your vault")
	d.xdo(t, "mouseup", "1")
	d.waitScreen(t, "dropped.png", 30*time.Second, "Adding 3 files to the vault")
	d.waitScreen(t, "library-after-drop.png", 60*time.Second, "3 documents", "Unstructured-test-doc", "fake-memo", "war-and-peace")

	// A second launch focuses the open window (taken from the drag source)
	// and leaves with 0.
	d.xdo(t, "search", "--onlyvisible", "--name", "^dragsource$", "windowfocus", "--sync")
	second := exec.Command(d.bin, d.args...)
	second.Env = d.env
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("second launch: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := d.xdo(t, "getwindowfocus", "getwindowname")
		if got == "Hoard — vault" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("focus after a second launch is on %q; it said:\n%s\nthe first:\n%s", got, out, w.out.String())
		}
	}
	if w.exitedEarly() {
		t.Fatalf("the first window quit:\n%s", w.out.String())
	}

	// Size and position are kept at Ctrl+Q.
	id := d.xdo(t, "search", "--onlyvisible", "--name", "^Hoard — vault$")
	d.xdo(t, "windowsize", "--sync", id, "1000", "700")
	d.xdo(t, "windowmove", "--sync", id, "120", "60")
	time.Sleep(500 * time.Millisecond)
	d.xdo(t, "windowfocus", "--sync", id)
	d.xdo(t, "key", "--clearmodifiers", "ctrl+q")
	w.waitExit(t, 20*time.Second)
	b, err := os.ReadFile(filepath.Join(d.dir, "config", "hoard", "window.json"))
	if err != nil {
		t.Fatal(err)
	}
	var geo struct{ X, Y, Width, Height int }
	if err := json.Unmarshal(b, &geo); err != nil || geo.Width != 1000 || geo.Height != 700 || geo.X != 120 || geo.Y != 60 {
		t.Errorf("saved geometry %s (%v), want 1000x700 at 120,60", b, err)
	}

	st := d.checkVault(t)
	if len(st) != 3 {
		t.Errorf("documents after the drop: %v", st)
	}
	for _, p := range []string{file, filepath.Join(folder, "memo.pdf"), filepath.Join(folder, "nested", "deeper", "war-and-peace.txt")} {
		if st[p] != "indexed" {
			t.Errorf("%s: %q, want indexed (all: %v)", p, st[p], st)
		}
	}

	w = d.start(t)
	if x, y, wd, ht := d.windowRect(t); x != 120 || y != 60 || wd != 1000 || ht != 700 {
		t.Errorf("window at the next start: %dx%d at %d,%d, want 1000x700 at 120,60", wd, ht, x, y)
	}
	d.waitScreen(t, "library-restarted.png", 30*time.Second, "fake-memo") // the page listens for keys
	id = d.xdo(t, "search", "--onlyvisible", "--name", "^Hoard — vault$")
	d.xdo(t, "windowfocus", "--sync", id)
	d.xdo(t, "key", "--clearmodifiers", "ctrl+w")
	w.waitExit(t, 20*time.Second)
}

// In the window, Original file and Open in viewer hand the file to the
// system (xdg-open, here to a viewer the test sets as the PDF default) and
// Export the vault asks where to save in the native dialog, then writes
// the export there.
func TestWindowExportAndOpen(t *testing.T) {
	d := newDesktop(t)
	need(t, "xdotool", "xdg-open")
	pdf := shared(t, "samples/docs/unstructured/list-item-example.pdf")
	ctx := context.Background()
	v, err := vault.Open(ctx, d.vaultDir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{pdf}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	v.Close()
	// The desktop's default PDF viewer: a script noting what it was given.
	opened := filepath.Join(d.dir, "opened")
	viewer := filepath.Join(d.dir, "viewer.sh")
	writeFile(t, viewer, "#!/bin/sh\necho \"$@\" >> "+opened+"\n", 0o755)
	writeFile(t, filepath.Join(d.dir, "data", "applications", "test-viewer.desktop"),
		"[Desktop Entry]\nType=Application\nName=Test viewer\nExec="+viewer+" %f\nMimeType=application/pdf;\n", 0o644)
	writeFile(t, filepath.Join(d.dir, "config", "mimeapps.list"), "[Default Applications]\napplication/pdf=test-viewer.desktop\n", 0o644)

	w := d.start(t)
	d.waitScreen(t, "library-one.png", 30*time.Second, "Unstructured-test-doc")
	d.click(t, "Unstructured-test-doc")
	d.waitScreen(t, "viewer.png", 30*time.Second, "Original file", "Open in viewer")
	for i, button := range []string{"Original file", "Open in viewer"} {
		d.click(t, button)
		waitFor(t, 10*time.Second, func() bool {
			b, _ := os.ReadFile(opened)
			return strings.Count(string(b), pdf) == i+1
		}, button+" opens the file")
	}

	d.click(t, "Memory")
	d.waitScreen(t, "memory.png", 30*time.Second, "Export the vault")
	d.click(t, "Export the vault")
	dialog := d.xdo(t, "search", "--sync", "--onlyvisible", "--name", "^Export the vault$")
	d.xdo(t, "windowfocus", "--sync", dialog)
	export := filepath.Join(d.dir, "saved", "my vault.hoard")
	os.MkdirAll(filepath.Dir(export), 0o755)
	d.xdo(t, "key", "--clearmodifiers", "ctrl+a")
	d.xdo(t, "type", "--delay", "20", export)
	d.xdo(t, "key", "Return")
	d.waitScreen(t, "exported.png", 30*time.Second, "Exported 1 document")
	other, err := vault.Open(ctx, filepath.Join(d.dir, "other"), vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if r, err := other.Import(ctx, export); err != nil || r.Added != 1 {
		t.Errorf("import of the saved export: %+v %v", r, err)
	}

	d.xdo(t, "key", "--clearmodifiers", "ctrl+q")
	w.waitExit(t, 20*time.Second)
	d.checkVault(t)
}

// desktop is one test's X display, environment and vault.
type desktop struct {
	bin, display, dir, vaultDir, shots string
	args, env                          []string
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("%s is missing (make desktop; bash scripts/setup.sh installs the test's tools)", tool)
			if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

func newDesktop(t *testing.T) *desktop {
	t.Helper()
	bin, _ := filepath.Abs(filepath.Join("..", "bin", "hoard-desktop"))
	if env := os.Getenv("HOARD_DESKTOP_BIN"); env != "" {
		bin = env
	}
	need(t, bin, "Xvfb", "ffmpeg", "tesseract")
	d := &desktop{bin: bin, display: startXvfb(t), dir: t.TempDir()}
	d.vaultDir = filepath.Join(d.dir, "vault")
	d.args = []string{"--vault", d.vaultDir, "--models", filepath.Join(d.dir, "models"), "--llm", "none"}
	d.env = append(os.Environ(), "DISPLAY="+d.display, "HOME="+d.dir, "XDG_RUNTIME_DIR="+d.dir,
		"XDG_CONFIG_HOME="+filepath.Join(d.dir, "config"), "XDG_DATA_HOME="+filepath.Join(d.dir, "data"))
	d.shots = os.Getenv("HOARD_ARTIFACTS")
	if d.shots == "" {
		d.shots = filepath.Join("..", "frontend", "test-results")
	}
	d.shots = filepath.Join(d.shots, "desktop")
	os.MkdirAll(d.shots, 0o755)
	return d
}

// running is one window process.
type running struct {
	cmd    *exec.Cmd
	out    *strings.Builder
	exited chan error
}

// start opens the window and waits until its page is loaded.
func (d *desktop) start(t *testing.T) *running {
	t.Helper()
	cmd := exec.Command(d.bin, d.args...)
	cmd.Env = d.env
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &running{cmd: cmd, out: &strings.Builder{}, exited: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			w.out.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "window ready") {
				close(ready)
			}
		}
		w.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-w.exited:
		t.Fatalf("the window exited before it was ready (%v):\n%s", err, w.out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no window after 60 s:\n%s", w.out.String())
	}
	return w
}

func (w *running) waitExit(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case err := <-w.exited:
		if err != nil {
			t.Fatalf("quit with %v:\n%s", err, w.out.String())
		}
	case <-time.After(limit):
		t.Fatalf("still running %v after being asked to quit:\n%s", limit, w.out.String())
	}
}

func (w *running) exitedEarly() bool {
	select {
	case err := <-w.exited:
		w.exited <- err
		return true
	default:
		return false
	}
}

// waitScreen takes screenshots into name until the screen reads (OCR)
// every one of want.
func (d *desktop) waitScreen(t *testing.T, name string, limit time.Duration, want ...string) {
	t.Helper()
	shot := filepath.Join(d.shots, name)
	deadline := time.Now().Add(limit)
	for {
		d.screenshot(t, shot)
		b, _ := exec.Command("tesseract", d.enlarged(t, shot), "-").Output()
		text := strings.Join(strings.Fields(string(b)), " ")
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			t.Logf("screenshot: %s", shot)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen does not read %q (%s); it reads:\n%s", missing, shot, text)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// screenshot captures the window alone: tesseract misreads text beside
// large black areas.
func (d *desktop) screenshot(t *testing.T, shot string) {
	t.Helper()
	x, y, wd, ht := d.windowRect(t)
	if err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", fmt.Sprintf("%dx%d", wd, ht),
		"-i", fmt.Sprintf("%s+%d,%d", d.display, x, y), "-frames:v", "1", shot).Run(); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
}

// enlarged is the screenshot at twice the size: tesseract reads the UI's
// small print better so.
func (d *desktop) enlarged(t *testing.T, shot string) string {
	t.Helper()
	big := filepath.Join(d.dir, "ocr.png")
	if err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", shot, "-vf", "scale=2*iw:-1", big).Run(); err != nil {
		t.Fatalf("scale the screenshot: %v", err)
	}
	return big
}

// click clicks the first words on the window that read phrase (OCR).
func (d *desktop) click(t *testing.T, phrase string) {
	t.Helper()
	shot := filepath.Join(d.dir, "click.png")
	d.screenshot(t, shot)
	out, err := exec.Command("tesseract", d.enlarged(t, shot), "-", "tsv").Output()
	if err != nil {
		t.Fatalf("tesseract: %v", err)
	}
	// level page block par line word left top width height conf text
	type word struct {
		line, text            string
		left, top, wd, height int
	}
	var words []word
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 12 || strings.TrimSpace(f[11]) == "" {
			continue
		}
		w := word{line: strings.Join(f[1:5], "."), text: strings.TrimSpace(f[11])}
		fmt.Sscan(f[6], &w.left)
		fmt.Sscan(f[7], &w.top)
		fmt.Sscan(f[8], &w.wd)
		fmt.Sscan(f[9], &w.height)
		words = append(words, w)
	}
	want := strings.Fields(phrase)
	for i := range words {
		if i+len(want) > len(words) {
			break
		}
		match := true
		for j, w := range want {
			if words[i+j].text != w || words[i+j].line != words[i].line {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		first, last := words[i], words[i+len(want)-1]
		x, y, _, _ := d.windowRect(t)
		d.xdo(t, "mousemove", strconv.Itoa(x+(first.left+last.left+last.wd)/4), strconv.Itoa(y+(first.top+first.height/2)/2), "click", "1")
		return
	}
	t.Fatalf("no %q on the window (%s):\n%s", phrase, shot, out)
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, limit)
		}
	}
}

// windowRect is where Hoard's window is on the screen.
func (d *desktop) windowRect(t *testing.T) (x, y, w, h int) {
	t.Helper()
	id := d.xdo(t, "search", "--onlyvisible", "--name", "^Hoard — vault$")
	geo := d.xdo(t, "getwindowgeometry", id)
	_, pos, _ := strings.Cut(geo, "Position: ")
	_, size, _ := strings.Cut(geo, "Geometry: ")
	if _, err := fmt.Sscanf(pos, "%d,%d", &x, &y); err != nil {
		t.Fatalf("window position in %q: %v", geo, err)
	}
	if _, err := fmt.Sscanf(size, "%dx%d", &w, &h); err != nil {
		t.Fatalf("window size in %q: %v", geo, err)
	}
	// x11grab needs the area on the screen, and even sizes for its encoder.
	w, h = min(w, 1366-x)&^1, min(h, 900-y)&^1
	return x, y, w, h
}

// xdo runs xdotool on the display and returns what it printed.
func (d *desktop) xdo(t *testing.T, args ...string) string {
	t.Helper()
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "xdotool", args...)
		cmd.Env = d.env
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			return strings.TrimSpace(string(out))
		}
		// A window that goes away while xdotool walks the window tree (the
		// drag icon, after a drop) fails the walk with BadWindow: walk again.
		if !bytes.Contains(out, []byte("BadWindow")) || try == 10 {
			t.Fatalf("xdotool %v: %v\n%s", args, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkVault opens the vault after the window quit, checks it and returns
// each document's path and status.
func (d *desktop) checkVault(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Open(ctx, d.vaultDir, vault.Options{Neural: vault.NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Check(ctx); err != nil {
		t.Errorf("vault after quitting: %v", err)
	}
	docs, _, err := v.Documents(ctx, store.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]string{}
	for _, doc := range docs {
		for _, p := range doc.Paths {
			st[p] = doc.Status
		}
	}
	return st
}

// shared is rel in the sample data beside the checkout (../shared, or
// $HOARD_SHARED, or the Makefile's $SHARED), as backend/internal/testdata finds it for the backend's
// tests (an internal package this one cannot import).
func shared(t *testing.T, rel string) string {
	t.Helper()
	dir := os.Getenv("HOARD_SHARED")
	if dir == "" {
		dir = os.Getenv("SHARED")
	}
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	p, _ := filepath.Abs(filepath.Join(dir, rel))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("HOARD_REQUIRE_SHARED") == "1" {
			t.Fatalf("shared data missing: %s", p)
		}
		t.Skipf("shared data missing: %s (put the shared/ folder beside the checkout or set HOARD_SHARED)", p)
	}
	return p
}

// buildDragSource compiles testdata/dragsource.c, a plain GTK drag source.
func buildDragSource(t *testing.T) string {
	t.Helper()
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "gtk+-3.0").Output()
	if err != nil {
		t.Fatalf("pkg-config gtk+-3.0: %v (apt install libgtk-3-dev)", err)
	}
	bin := filepath.Join(t.TempDir(), "dragsource")
	args := append([]string{"-o", bin, filepath.Join("testdata", "dragsource.c")}, strings.Fields(string(flags))...)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("cc dragsource: %v\n%s", err, out)
	}
	return bin
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b), 0o644)
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// startXvfb runs a virtual X server on a free display until the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1366x900x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Signal(syscall.SIGTERM)
		x.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal(errors.New("Xvfb did not start"))
		}
		return fmt.Sprintf(":%s", n)
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start in 20 s")
	}
	return ""
}
