package search

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// A saved index that matches the store is read at a start instead of every
// row (held from the first answer, no full read); rows added since are
// read alone. One of another state (a row gone, a row moved to another
// collection) or a damaged file is ignored: the index reads the store,
// and every answer stays the store's.
func TestVectorIndexSidecar(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, st *store.Store, file string, add func(string), vec map[int64][]float32)
		full   int  // full reads by the index opened after the change
		held   bool // every row held at the first answer, read from the file
	}{
		{name: "fresh", full: 0, held: true},
		{name: "rows added", full: 0, held: true, change: func(t *testing.T, _ *store.Store, _ string, add func(string), vec map[int64][]float32) {
			add("added-1")
			add("added-2")
		}},
		{name: "row deleted", full: 1, change: func(t *testing.T, st *store.Store, _ string, _ func(string), vec map[int64][]float32) {
			if err := st.DeleteDocument(ctx, docOf(t, st, "doc-3")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "deleted and added", full: 1, change: func(t *testing.T, st *store.Store, _ string, add func(string), vec map[int64][]float32) {
			if err := st.DeleteDocument(ctx, docOf(t, st, "doc-3")); err != nil {
				t.Fatal(err)
			}
			add("added-1")
		}},
		{name: "moved to another collection", full: 1, change: func(t *testing.T, st *store.Store, _ string, _ func(string), vec map[int64][]float32) {
			if err := st.MoveDocument(ctx, docOf(t, st, "doc-5"), "other"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "made again by a model of another width", full: 1, change: func(t *testing.T, st *store.Store, _ string, _ func(string), vec map[int64][]float32) {
			cfg := store.VectorConfig{Model: "m2", Dims: 16, Forms: []string{store.FormInt8, store.FormBit}}
			if err := st.ResetVectors(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			embedPending(t, st, cfg, rand.New(rand.NewPCG(5, 6)), vec)
		}},
		{name: "a byte of the ids flipped", full: 1, change: func(t *testing.T, _ *store.Store, file string, _ func(string), vec map[int64][]float32) {
			flipByte(t, file, int64(binary.Size(sidecarHeader{}))+1)
		}},
		{name: "another format version", full: 1, change: func(t *testing.T, _ *store.Store, file string, _ func(string), vec map[int64][]float32) {
			// A file of another layout is read again from the store, never
			// read as this one (the version follows the 8-byte magic).
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			binary.LittleEndian.PutUint32(b[8:], sidecarVersion+1)
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "checksum flipped", full: 1, change: func(t *testing.T, _ *store.Store, file string, _ func(string), vec map[int64][]float32) {
			flipByte(t, file, -1)
		}},
		{name: "truncated", full: 1, change: func(t *testing.T, _ *store.Store, file string, _ func(string), vec map[int64][]float32) {
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(file, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "not an index", full: 1, change: func(t *testing.T, _ *store.Store, file string, _ func(string), vec map[int64][]float32) {
			if err := os.WriteFile(file, []byte("HOARDVX1 but nothing else"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := vaultDB(t, nil)
			cfg := store.VectorConfig{Model: "m", Dims: 32, Forms: []string{store.FormInt8, store.FormBit}}
			if err := st.EnsureVectors(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			vec := map[int64][]float32{}
			add := func(title string) {
				t.Helper()
				_, _, err := st.Index(ctx, "", store.Source{Path: "/" + title}, store.Content{Hash: title, Title: title, Text: title,
					MediaType: "text/plain", Chunks: []store.Chunk{{Text: title, CharEnd: len(title)}}})
				if err != nil {
					t.Fatal(err)
				}
				embedPending(t, st, cfg, r, vec)
			}
			for i := range 40 {
				add(fmt.Sprintf("doc-%d", i))
			}
			file := filepath.Join(t.TempDir(), "vectors")
			first := NewVectorIndex(st)
			first.Sidecar = file
			if err := first.Load(ctx); err != nil {
				t.Fatal(err)
			}
			left := file + ".123.tmp" // a save the process did not finish
			if err := os.WriteFile(left, []byte("half"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := first.Save(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(left); !os.IsNotExist(err) {
				t.Errorf("an unfinished save's file is still there: %v", err)
			}
			settled(t, first) // the save the load started, before the file is changed
			if tc.change != nil {
				tc.change(t, st, file, add, vec)
			}

			full := 0
			x := NewVectorIndex(countingSource{st, &full})
			x.Sidecar = file
			// Every chunk is found by its own vector, in its own collection,
			// and nothing else is served.
			var ids, colls []int64
			rows, err := st.DB().Query(`SELECT c.id, d.collection_id FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY c.id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, coll int64
				rows.Scan(&id, &coll)
				ids, colls = append(ids, id), append(colls, coll)
			}
			rows.Close()
			for i, id := range ids {
				for _, c := range []int64{0, colls[i]} {
					got, err := x.Nearest(ctx, vec[id], 1, c)
					if err != nil || len(got) != 1 || got[0].ChunkID != id {
						t.Fatalf("nearest to chunk %d's vector in collection %d: %v %v", id, c, got, err)
					}
				}
				if i == 0 {
					// (Without the file, a small vault may be read by now too.)
					if held, _ := x.Ready(); tc.held && !held {
						t.Errorf("not held at the first answer")
					}
				}
			}
			if err := x.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if x.Len() != len(ids) {
				t.Errorf("holds %d vectors, the vault %d", x.Len(), len(ids))
			}
			if full != tc.full {
				t.Errorf("%d full reads of the store, want %d", full, tc.full)
			}
			// A full read saves the index again, and the next start uses it.
			if tc.full > 0 {
				deadline := time.Now().Add(10 * time.Second)
				for {
					again := 0
					y := NewVectorIndex(countingSource{st, &again})
					y.Sidecar = file
					got, err := y.Nearest(ctx, vec[ids[0]], 1, 0)
					if held, _ := y.Ready(); err == nil && held && again == 0 && len(got) == 1 && got[0].ChunkID == ids[0] {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the index was not saved again after a full read")
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
}

// settled waits for a background save to end.
func settled(t *testing.T, x *VectorIndex) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		x.mu.RLock()
		saving := x.saving
		x.mu.RUnlock()
		if !saving {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a save did not end")
		}
	}
}

func docOf(t *testing.T, st *store.Store, title string) int64 {
	t.Helper()
	var id int64
	if err := st.DB().QueryRow(`SELECT id FROM documents WHERE title = ?`, title).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// flipByte inverts the byte at off (negative: from the end).
func flipByte(t *testing.T, file string, off int64) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off += int64(len(b))
	}
	b[off] ^= 0xff
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
