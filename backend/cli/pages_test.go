package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// A passage that runs over a page break is cited by both pages, in the
// text output ("pp. 1–2") and in JSON (page, page_end).
func TestSearchCitesPageSpans(t *testing.T) {
	pdf := filepath.Join(testdata.Shared(t, "samples/docs/unstructured"), "list-item-example.pdf")
	vdir := t.TempDir()
	mustRun(t, "--vault", vdir, "--embedder", "none", "add", pdf)
	const q = "role of the design team in detail"
	if out := mustRun(t, "--vault", vdir, "--embedder", "none", "search", "--limit", "1", q); !strings.Contains(out, "list-item-example.pdf pp. 1–2") {
		t.Fatalf("text output:\n%s", out)
	}
	var hits []struct {
		Page    int `json:"page"`
		PageEnd int `json:"page_end"`
	}
	out := mustRun(t, "--vault", vdir, "--embedder", "none", "search", "--json", "--limit", "1", q)
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) != 1 || hits[0].Page != 1 || hits[0].PageEnd != 2 {
		t.Fatalf("JSON %s (%v)", out, err)
	}
}
