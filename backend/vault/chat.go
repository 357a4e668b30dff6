package vault

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/hoardvault/hoard/backend/llm"
	"github.com/hoardvault/hoard/models"
)

// ChatStatus says whether Hoard's built-in runner (llama.cpp's
// llama-server) can answer questions, and with which model.
type ChatStatus struct {
	Available bool   `json:"available"`
	Runner    string `json:"runner,omitempty"` // llama-server's path
	Model     string `json:"model,omitempty"`  // the installed chat model it would use
	// Suggested is the catalog's best chat model for this machine's
	// memory (Memory bytes), to offer when none is installed.
	Suggested string `json:"suggested,omitempty"`
	Memory    int64  `json:"memory,omitempty"`
	Note      string `json:"note,omitempty"` // why it is not available
}

// builtinRunner is the vault's one built-in runner, made on first need and
// stopped with the vault.
type builtinRunner struct {
	mu sync.Mutex
	r  *llm.Builtin
}

// ChatStatus reports the built-in runner; it starts nothing.
func (v *Vault) ChatStatus() ChatStatus {
	var st ChatStatus
	st.Memory = totalMemory()
	if s, ok := v.models().Catalog.SuggestChat(st.Memory); ok {
		st.Suggested = s.Name
	}
	server, serr := llm.FindServer(v.models().Dir)
	st.Runner = server
	inst, ok := v.models().FirstInstalled(models.RoleChat)
	if ok {
		st.Model = inst.Spec.Name
	}
	switch {
	case serr != nil:
		st.Note = serr.Error()
	case !ok:
		st.Note = "no chat model is installed (hoard models pull NAME; make models installs the small test model)"
		if st.Suggested != "" {
			st.Note += "; " + st.Suggested + " fits this machine"
		}
	default:
		st.Available = true
	}
	return st
}

// Builtin returns the vault's built-in runner serving the chat model name
// ("": the first installed, best first): one runner per vault, which
// switches models without a restart of Hoard, starts its server on first
// use and stops it when idle or when the vault closes.
func (v *Vault) Builtin(name string) (*llm.Builtin, error) {
	server, err := llm.FindServer(v.models().Dir)
	if err != nil {
		return nil, err
	}
	var inst models.Installed
	if name == "" {
		var ok bool
		if inst, ok = v.models().FirstInstalled(models.RoleChat); !ok {
			return nil, fmt.Errorf("no chat model is installed for the built-in runner (hoard models pull NAME; hoard models ls lists them)")
		}
	} else if inst, err = v.models().Get(name); err != nil {
		return nil, err
	} else if inst.Spec.Role != models.RoleChat {
		return nil, fmt.Errorf("%s is not a chat model", name)
	}
	m := llm.BuiltinModel{Name: inst.Spec.Name, Path: inst.Path(inst.Spec.Files[0].InstalledName()), Context: inst.Spec.Context}
	v.runner.mu.Lock()
	defer v.runner.mu.Unlock()
	if v.runner.r == nil {
		// The records of running servers sit with the models, one place per
		// user whatever the vault.
		v.runner.r = llm.NewBuiltin(llm.BuiltinOptions{Server: server, Log: v.log, RunDir: filepath.Join(v.models().Dir, "run")}, m)
	} else {
		v.runner.r.SetModel(m)
	}
	return v.runner.r, nil
}

func (v *Vault) closeRunner() error {
	v.runner.mu.Lock()
	defer v.runner.mu.Unlock()
	if v.runner.r == nil {
		return nil
	}
	err := v.runner.r.Close()
	v.runner.r = nil
	return err
}

// totalMemory is the machine's memory in bytes (Linux's /proc/meminfo), 0
// when unknown.
func totalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
