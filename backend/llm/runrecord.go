package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A runner that is given a RunDir keeps a record there of each server it
// started, for as long as the server runs. The next runner to start stops
// the servers whose Hoard ended without stopping them (kill -9, a crash, a
// power cut): the guard against orphans where the system has no
// parent-death signal, and a second one where it has.

// runRecord is what is kept of one server.
type runRecord struct {
	PID    int    `json:"pid"`
	Parent int    `json:"parent"` // the Hoard that started it
	Server string `json:"server"` // the binary, to tell it from a process that took its pid
}

const recordGlob = "llama-server-*.json"

func recordPath(dir string, pid int) string {
	return filepath.Join(dir, fmt.Sprintf("llama-server-%d.json", pid))
}

// writeRecord keeps a record of a server (written whole, then renamed).
func writeRecord(dir string, r runRecord) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw, _ := json.Marshal(r)
	tmp := recordPath(dir, r.PID) + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, recordPath(dir, r.PID))
}

func removeRecord(dir string, pid int) {
	if dir != "" {
		os.Remove(recordPath(dir, pid))
	}
}

// SweepOrphans stops the servers recorded in dir whose Hoard no longer
// runs, and forgets the records of servers that have ended. A recorded pid
// now held by another program (not the recorded server binary) is left
// alone. It returns the pids it stopped.
func SweepOrphans(dir string, log *slog.Logger) []int {
	if dir == "" {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, recordGlob))
	var stopped []int
	for _, path := range paths {
		r, err := readRecord(path)
		if err != nil {
			log.Warn("built-in runner: an unreadable record is removed", "file", path, "err", err)
			os.Remove(path)
			continue
		}
		if r.Parent == os.Getpid() || (r.Parent > 0 && ProcessRuns(r.Parent)) {
			continue // its Hoard runs and looks after it
		}
		if r.PID > 0 && ProcessRuns(r.PID) && isServer(r.PID, r.Server) {
			if p, err := os.FindProcess(r.PID); err == nil && p.Kill() == nil {
				for deadline := time.Now().Add(5 * time.Second); ProcessRuns(r.PID) && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond)
				}
				stopped = append(stopped, r.PID)
				log.Info("built-in runner: stopped a server left by a Hoard that ended without stopping it", "pid", r.PID, "hoard", r.Parent)
			}
		}
		os.Remove(path)
	}
	return stopped
}

func readRecord(path string) (runRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return runRecord{}, err
	}
	defer f.Close()
	var r runRecord
	err = json.NewDecoder(io.LimitReader(f, 4096)).Decode(&r)
	return r, err
}

// sameBinary says whether path names the server binary want (symbolic
// links resolved, as the system reports a process's executable).
func sameBinary(path, want string) bool {
	path = strings.TrimSuffix(strings.TrimSpace(path), " (deleted)")
	if w, err := filepath.EvalSymlinks(want); err == nil {
		want = w
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	return path == want || (!filepath.IsAbs(path) && filepath.Base(path) == filepath.Base(want))
}
