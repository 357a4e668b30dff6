package eval

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoaders(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "queries.jsonl")
	os.WriteFile(q, []byte(`{"_id":"1","text":"first"}`+"\n"+`{"_id":"2","text":"second"}`+"\n\n"), 0o644)
	for name, body := range map[string]string{
		"header":    "query-id\tcorpus-id\tscore\n2\td9\t1\n",
		"no header": "2\td9\t1\n",
	} {
		qr := filepath.Join(dir, "qrels.tsv")
		os.WriteFile(qr, []byte(body), 0o644)
		got, err := LoadQueries(q, qr)
		if err != nil || len(got) != 1 || got[0].ID != "2" || got[0].Text != "second" {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	all, err := LoadQueries(q, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("all queries: %+v %v", all, err)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct{ p, want float64 }{{50, 50}, {95, 95}, {99, 99}, {100, 100}} {
		if got := Percentile(d, tc.p); got != tc.want {
			t.Errorf("p%.0f = %v, want %v", tc.p, got, tc.want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}
