package ingest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A corpus of a thousand short records is stored in one or two
// transactions, not one every 256 records: each commit wrote the full-text
// index a new segment to merge and rewrote the pages every batch touches,
// and bigger batches took a sixth off the writer's time on SciFact.
func TestCorpusCommitsInFewBatches(t *testing.T) {
	const records = 1000
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	for i := range records {
		enc.Encode(map[string]string{"_id": fmt.Sprint(i), "title": fmt.Sprintf("Record %d", i),
			"text": fmt.Sprintf("Record %d is about topic%d and a few shared words.", i, i)})
	}
	file := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s, st := newService(t, Config{})
	// Progress is reported once a batch is committed: the documents stored
	// when each report comes tell the commits apart.
	commits := map[int]bool{}
	sum, err := s.Add(t.Context(), []string{file}, AddOptions{Progress: func(Progress) {
		stats, err := st.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		commits[stats.Indexed] = true
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != records {
		t.Fatalf("%d indexed, want %d", sum.Indexed, records)
	}
	if len(commits) > 2 {
		t.Errorf("%d records committed in %d transactions, want at most 2", records, len(commits))
	}
}
