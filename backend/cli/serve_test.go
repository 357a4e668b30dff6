package cli

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Listening beyond this machine warns, and takes a token short enough to
// guess over the network only when the user insists.
func TestServeBeyondThisMachine(t *testing.T) {
	strong := strings.Repeat("k", 32)
	for _, tc := range []struct {
		name   string
		args   []string
		refuse string // the error, when it does not start
		warn   bool
	}{
		{"loopback, short token", []string{"--addr", "127.0.0.1:0", "--token", "short"}, "", false},
		{"loopback by name", []string{"--addr", "localhost:0", "--token", "short"}, "", false},
		{"all interfaces, short token", []string{"--addr", "0.0.0.0:0", "--token", strong[:31]}, "at least 32 characters", false},
		{"no host, short token", []string{"--addr", ":0", "--token", "short"}, "at least 32 characters", false},
		{"all interfaces, strong token", []string{"--addr", "0.0.0.0:0", "--token", strong}, "", true},
		{"all interfaces, random token", []string{"--addr", "0.0.0.0:0"}, "", true},
		{"all interfaces, short token insisted on", []string{"--addr", "0.0.0.0:0", "--token", "short", "--allow-weak-token"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOARD_TOKEN", "")
			var out, errb syncBuffer
			root := NewRoot(&out, &errb, nil)
			root.SetArgs(append([]string{"--vault", t.TempDir(), "--models", t.TempDir(), "serve", "--llm", "none"}, tc.args...))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- root.ExecuteContext(ctx) }()
			var err error
			started := false
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if strings.Contains(out.String(), "Hoard is serving") {
					started = true
					cancel()
					err = <-done
					break
				}
				select {
				case err = <-done:
				default:
					continue
				}
				break
			}
			if tc.refuse != "" {
				if started || err == nil || !strings.Contains(err.Error(), tc.refuse) {
					t.Fatalf("started=%v err=%v, want refused with %q", started, err, tc.refuse)
				}
				return
			}
			if !started || err != nil {
				t.Fatalf("started=%v err=%v stderr=%s", started, err, errb.String())
			}
			if warned := strings.Contains(errb.String(), "beyond this machine"); warned != tc.warn {
				t.Errorf("warned=%v, want %v: %s", warned, tc.warn, errb.String())
			}
		})
	}
}
