package cli

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/mcpserver"
)

// A hit on a voice note names the moment its words are spoken, in the
// text output ("planning-memo.wav 00:25"), in --json and in MCP's search
// results.
func TestVoiceNoteMomentInSearchAndMCP(t *testing.T) {
	testdata.NeedFFmpeg(t)
	wav, sentences := testdata.PlanningMemo(t)
	srv := testdata.TimedTranscriptionServer(t, wav, testdata.SpreadWords(sentences))
	vdir, src := t.TempDir(), t.TempDir()
	memo := filepath.Join(src, "planning-memo.wav")
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(memo, data, 0o644)
	mustRun(t, "--vault", vdir, "transcription", "--url", srv.URL)
	mustRun(t, "--vault", vdir, "add", src)

	const q, sentence = "remember to order the cooling units", 5 // the sixth, at 00:25
	want := sentences[sentence].Start
	if text := mustRun(t, "--vault", vdir, "search", q); !strings.Contains(text, "planning-memo.wav 00:25") {
		t.Errorf("search output lacks the moment 00:25:\n%s", text)
	}
	var hits []wire.Hit
	if err := json.Unmarshal([]byte(mustRun(t, "--vault", vdir, "search", "--json", q)), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Time == nil || hits[0].Passage == nil ||
		math.Abs(float64(hits[0].Time.StartMS)/1000-want) > 1 || hits[0].Passage.StartMS > hits[0].Time.StartMS {
		t.Fatalf("search --json: %+v", hits)
	}

	// MCP as an agent runs it: `hoard mcp` in a process of its own.
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: mcpProcess(vdir)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": q, "limit": 3}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call search: %+v %v", res, err)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out mcpserver.SearchOut
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) == 0 || out.Results[0].At != "00:25" || out.Results[0].Time == nil || out.Results[0].Passage == nil ||
		math.Abs(float64(out.Results[0].Time.StartMS)/1000-want) > 1 || math.Abs(out.Results[0].AtSeconds-want) > 1 {
		t.Fatalf("MCP search: %s", raw)
	}
}
