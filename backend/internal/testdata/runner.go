package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// ChatModel is the small real chat model `make models` installs for the
// tests (SmolLM2-135M-Instruct). It is far too weak to answer well: tests
// use it to check the runner and Hoard's checks, never the answers.
const ChatModel = "smollm2-135m-instruct"

// Runner returns llama-server (HOARD_LLAMA_SERVER, else the checkout's
// bin/, where `make setup` builds it) and the test chat model's GGUF file.
// When either is missing the test is skipped with a clear message, or
// fails when HOARD_REQUIRE_MODELS=1 (CI).
func Runner(t testing.TB) (server, gguf string) {
	t.Helper()
	server = os.Getenv("HOARD_LLAMA_SERVER")
	if server == "" {
		server = filepath.Join(Root(), "bin", "llama-server")
	}
	if st, err := os.Stat(server); err != nil || st.Mode()&0o111 == 0 {
		msg := "the built-in runner " + server + " is missing (run `make setup`, which builds it, or set HOARD_LLAMA_SERVER)"
		if os.Getenv("HOARD_REQUIRE_MODELS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return server, filepath.Join(Model(t, ChatModel), "model.gguf")
}
