package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two writers on one vault file (serve and `hoard add`, say) wait for each
// other instead of failing, even while one stores a document of 100,000
// chunks in its single transaction; the wait allowed covers one several
// times that size on a slow disk.
func TestTwoWritersWaitForEachOther(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	a, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var ms int
	if err := b.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms); err != nil {
		t.Fatal(err)
	}
	// 400,000 chunks take about 5 s to store here.
	if ms < 60000 {
		t.Fatalf("busy timeout %d ms: a writer gives up while a large document is stored", ms)
	}
	const n = 100000
	big := Content{Hash: "big", Title: "Big"}
	var sb strings.Builder
	for i := range n {
		txt := fmt.Sprintf("chunk %d speaks of word%d and word%d", i, i%1000, i%77)
		big.Chunks = append(big.Chunks, Chunk{Ordinal: i, Text: txt, CharStart: sb.Len(), CharEnd: sb.Len() + len(txt)})
		sb.WriteString(txt)
	}
	big.Text = sb.String()
	start := time.Now()
	var wg sync.WaitGroup
	var bigDone time.Time
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, _, err := a.Index(ctx, "", Source{Path: "/big.txt"}, big); err != nil {
			t.Errorf("large document: %v", err)
		}
		bigDone = time.Now()
	}()
	time.Sleep(50 * time.Millisecond) // the large transaction is under way
	var waited time.Time
	for i := range 20 {
		text := fmt.Sprintf("small note %d", i)
		if _, _, err := b.Index(ctx, "", Source{Path: fmt.Sprintf("/small/%d.md", i)},
			Content{Hash: fmt.Sprintf("s%d", i), Text: text, Chunks: []Chunk{{Text: text, CharEnd: len(text)}}}); err != nil {
			t.Fatalf("second writer, note %d: %v", i, err)
		}
		if err := b.Enqueue(ctx, []Task{{Path: fmt.Sprintf("/q/%d", i), Op: OpIndex}}); err != nil {
			t.Fatalf("second writer, queue %d: %v", i, err)
		}
		if i == 0 {
			waited = time.Now()
		}
	}
	wg.Wait()
	t.Logf("large document stored after %s, the second writer's first write after %s", bigDone.Sub(start), waited.Sub(start))
	st, err := a.Stats(ctx)
	if err != nil || st.Documents != 21 || st.Chunks != n+20 {
		t.Fatalf("stats %+v (%v)", st, err)
	}
}
