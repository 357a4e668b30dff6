package portable_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/portable"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

// fullVault fills a vault with a row in every table an export carries:
// documents in a weighted collection, a memory, a conversation, a gist and
// facts written by a model, vectors, settings with secrets and a watched
// folder.
func fullVault(t *testing.T) *vault.Vault {
	t.Helper()
	ctx := context.Background()
	v := openVault(t, vault.Options{})
	src := t.TempDir()
	testdata.WriteFile(t, filepath.Join(src, "tides.md"), "# Tides\n\nThe harbour of Saint-Malo sees tides of thirteen metres.\n\n## Bores\n\nA tidal bore runs up the Severn estuary.\n")
	testdata.WriteFile(t, filepath.Join(src, "bread.txt"), "Sourdough needs a starter fed with flour and water every day.\n")
	if _, err := v.CreateCollection(ctx, "work", 2.5); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{src}, vault.AddOptions{Collection: "work"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Remember(ctx, "", "The spare key is under the blue flowerpot."); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Ask(ctx, "How high are the tides of Saint-Malo?", vault.AskOptions{NewConversation: true}); err != nil {
		t.Fatal(err)
	}
	docs, _, err := v.Documents(ctx, store.ListOptions{Collection: "work"})
	if err != nil || len(docs) != 2 {
		t.Fatalf("documents: %v %v", docs, err)
	}
	st := storeOf(t, v)
	if err := st.PutGist(ctx, store.Gist{DocumentID: docs[0].ID, Gist: "A model's summary of it.", Keyphrases: "model, summary", ByLLM: true}); err != nil {
		t.Fatal(err)
	}
	chunks, err := v.Chunks(ctx, docs[0].ID)
	if err != nil || len(chunks) == 0 {
		t.Fatalf("chunks: %v", err)
	}
	facts := []store.Fact{{Subject: "Saint-Malo", Relation: "has tides of", Object: "thirteen metres"}}
	if err := st.PutFacts(ctx, chunks[0].ID, "test/model", facts, entity.Norm); err != nil {
		t.Fatal(err)
	}
	cfg := store.VectorConfig{Model: "test-embedder", Dims: 8, Forms: []string{store.FormInt8, store.FormBit}}
	if err := st.EnsureVectors(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingChunks(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var vecs [][]float32
	for i, p := range pending {
		vec := make([]float32, 8)
		for j := range vec {
			vec[j] = float32((i+j)%5) - 2.1
		}
		ids, vecs = append(ids, p.ID), append(vecs, vec)
	}
	if err := st.PutVectors(ctx, cfg, ids, vecs); err != nil {
		t.Fatal(err)
	}
	if err := v.SetLLM(ctx, vault.LLMSettings{Kind: "openai", URL: "http://127.0.0.1:9/v1", Model: "m", APIKey: "sk-very-secret"}); err != nil {
		t.Fatal(err)
	}
	// The global memory's overview.
	if err := st.SetSetting(ctx, "memory.overview", "A vault about tides and bread."); err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddWatched(ctx, src, "work"); err != nil {
		t.Fatal(err)
	}
	return v
}

// derivedTables are rebuilt by an import from what it carries, or are
// this machine's own work in progress, so an export leaves them out.
// Every other table must arrive with the same rows.
var derivedTables = map[string]string{
	"entities":              "the entity index: found again in each chunk's text and its facts",
	"entity_refs":           "the entity index",
	"chunks_fts":            "the full-text index of the chunks",
	"gists_fts":             "the full-text index of the gists",
	"queue":                 "work in progress on this machine's files; an imported queued document is queued again",
	"chunk_embeddings_next": "a change of model under way; the vectors it makes are not final",
	"pack_dicts":            "how this vault packs chunk text: an export carries the text itself",
}

// derived reports whether a table is rebuilt on import: those above, the
// full-text indexes' shadow tables, and the vector index (vec0 and its
// shadow tables), which an import writes from chunk_embeddings' forms.
func derived(table string) bool {
	if _, ok := derivedTables[table]; ok {
		return true
	}
	for _, prefix := range []string{"chunks_fts_", "gists_fts_", "chunk_vectors", "sqlite_"} {
		if strings.HasPrefix(table, prefix) {
			return true
		}
	}
	return false
}

func tableCounts(t *testing.T, v *vault.Vault) map[string]int {
	t.Helper()
	st := storeOf(t, v)
	rows, err := st.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := st.DB().QueryRow(`SELECT count(*) FROM "` + n + `"`).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", n, err)
		}
		out[n] = c
	}
	return out
}

// exportLines reads an export back as its JSON lines, with the moment it
// was written blanked: what must match between two exports of the same
// content.
func exportLines(t *testing.T, v *vault.Vault, opt portable.ExportOptions) []string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := portable.Export(context.Background(), storeOf(t, v), &buf, opt); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var h map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil {
		t.Fatal(err)
	}
	delete(h, "exported_at")
	b, _ := json.Marshal(h)
	lines[0] = string(b)
	return lines
}

// fullRoundTrip exports a full vault and imports it, watched folders too,
// into an empty one.
func fullRoundTrip(t *testing.T) (a, b *vault.Vault) {
	t.Helper()
	ctx := context.Background()
	a = fullVault(t)
	file := filepath.Join(t.TempDir(), "all.hoard")
	if _, err := a.Export(ctx, file); err != nil {
		t.Fatal(err)
	}
	b = openVault(t, vault.Options{})
	if _, err := b.ImportWith(ctx, file, portable.ImportOptions{Watched: true}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// Every table of a migrated vault is carried by an export or named above
// as rebuilt: a new table that export forgets fails here.
func TestExportCarriesEveryTable(t *testing.T) {
	ctx := context.Background()
	a, b := fullRoundTrip(t)
	ca, cb := tableCounts(t, a), tableCounts(t, b)
	for name, n := range ca {
		if derived(name) {
			continue
		}
		if n == 0 {
			t.Errorf("table %s is empty in the test vault: give it a row in fullVault and carry it in the export", name)
		}
		if cb[name] != n {
			t.Errorf("table %s: %d rows exported, %d imported", name, n, cb[name])
		}
	}
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// Export, import into an empty vault and export again: the same content,
// and the same answers from search, chats, memories and status.
func TestExportRoundTripIsWhole(t *testing.T) {
	ctx := context.Background()
	a, b := fullRoundTrip(t)
	la, lb := exportLines(t, a, portable.ExportOptions{}), exportLines(t, b, portable.ExportOptions{})
	if strings.Join(la, "\n") != strings.Join(lb, "\n") {
		for i := range max(len(la), len(lb)) {
			if i >= len(la) || i >= len(lb) || la[i] != lb[i] {
				t.Fatalf("second export differs at line %d:\n%.400s\n%.400s", i, at(la, i), at(lb, i))
			}
		}
	}
	for _, want := range []string{`"model":"test-embedder"`, `"gist":"A model's summary of it."`, `"facts":[`, `"conversation":`, `"watched":`, `"weight":2.5`, `memory.overview`} {
		if !strings.Contains(strings.Join(la, "\n"), want) {
			t.Errorf("export lacks %s", want)
		}
	}
	if s := strings.Join(la, "\n"); strings.Contains(s, "sk-very-secret") {
		t.Error("the export carries the API key without --with-secrets")
	}
	if s := strings.Join(exportLines(t, a, portable.ExportOptions{WithSecrets: true}), "\n"); !strings.Contains(s, "sk-very-secret") {
		t.Error("--with-secrets left the API key out")
	}
	if s := strings.Join(exportLines(t, a, portable.ExportOptions{NoVectors: true}), "\n"); strings.Contains(s, `"vector":`) || strings.Contains(s, "test-embedder") {
		t.Error("--no-vectors still carries vectors")
	}
	for _, q := range []string{"tides Saint-Malo", "sourdough starter", "spare key flowerpot"} {
		if ha, hb := strip(mustSearch(t, a, q)), strip(mustSearch(t, b, q)); len(ha) == 0 || fmt.Sprint(ha) != fmt.Sprint(hb) {
			t.Errorf("%q: search differs:\n%v\n%v", q, ha, hb)
		}
	}
	convs := func(v *vault.Vault) string {
		cs, err := v.Conversations(ctx, 0, 0)
		if err != nil || len(cs) == 0 {
			t.Fatalf("conversations: %v %v", cs, err)
		}
		var sb strings.Builder
		for _, c := range cs {
			_, msgs, err := v.Conversation(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "%s %d %d|", c.Title, c.CreatedAt, c.UpdatedAt)
			for _, m := range msgs {
				fmt.Fprintf(&sb, "%s:%s:%s:%d:%d;", m.Role, m.Content, m.Query, len(m.Citations), len(m.Trace))
			}
		}
		return sb.String()
	}
	if ca, cb := convs(a), convs(b); ca != cb {
		t.Errorf("chats differ:\n%s\n%s", ca, cb)
	}
	mems := func(v *vault.Vault) string {
		ms, n, err := v.Memories(ctx, 0, 0)
		if err != nil || n == 0 {
			t.Fatalf("memories: %v %v", ms, err)
		}
		var sb strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&sb, "%s|%v|%d;", m.Title, m.Paths, m.Chunks)
		}
		return sb.String()
	}
	if ma, mb := mems(a), mems(b); ma != mb {
		t.Errorf("memories differ:\n%s\n%s", ma, mb)
	}
	ga, _ := a.Memory(ctx, true)
	gb, _ := b.Memory(ctx, true)
	if ga.Overview != gb.Overview || ga.ByLLM != gb.ByLLM || ga.Facts != gb.Facts || ga.Unread != gb.Unread || fmt.Sprint(ga.Keyphrases) != fmt.Sprint(gb.Keyphrases) {
		t.Errorf("global memory differs:\n%+v\n%+v", ga, gb)
	}
	sa, _ := a.Status(ctx)
	sb, _ := b.Status(ctx)
	same := sa.Stats.Documents == sb.Stats.Documents && sa.Chunks == sb.Chunks && sa.Sources == sb.Sources && sa.Failed == sb.Failed &&
		sa.Neural.VectorModel == sb.Neural.VectorModel && sa.Neural.Embedded == sb.Neural.Embedded && len(sa.Watched) == len(sb.Watched)
	if !same {
		t.Errorf("status differs:\n%+v\n%+v", sa, sb)
	}
	la2, lb2 := mustLLM(t, a), mustLLM(t, b)
	if la2.URL != lb2.URL || lb2.APIKey != "" {
		t.Errorf("llm settings: %+v then %+v", la2, lb2)
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

func mustLLM(t *testing.T, v *vault.Vault) vault.LLMSettings {
	t.Helper()
	s, err := v.LLM(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// craft writes an export file from raw JSON lines, gzip-compressed.
func craft(t *testing.T, lines ...string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, l := range lines {
		io.WriteString(zw, l+"\n")
	}
	zw.Close()
	file := filepath.Join(t.TempDir(), "crafted.hoard")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

const v1Header = `{"format":"hoard-export","version":1,"schema_version":10,"exported_at":"2025-01-01T00:00:00Z","documents":1}`

func docLine(path, title, text, status string) string {
	rec := map[string]any{"collection": "library", "hash": "h-" + title, "media_type": "text/plain", "size": len(text), "mtime": 1,
		"title": title, "status": status, "text": text, "created_at": 1, "updated_at": 1,
		"sources":  []map[string]any{{"path": path, "size": len(text), "mtime": 1}},
		"sections": []map[string]any{{"page": 0, "heading": "", "char_start": 0, "char_end": len([]rune(text))}},
		"chunks":   []map[string]any{{"ordinal": 0, "text": text, "page_start": 0, "page_end": 0, "heading": "", "char_start": 0, "char_end": len([]rune(text))}},
	}
	if status == store.StatusQueued {
		rec["chunks"], rec["sections"] = []any{}, []any{}
	}
	b, _ := json.Marshal(map[string]any{"document": rec})
	return string(b)
}

// A failing or truncated import leaves the vault exactly as it was, and
// says what failed.
func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	a := fullVault(t)
	var good bytes.Buffer
	if _, err := a.WriteExport(ctx, &good); err != nil {
		t.Fatal(err)
	}
	var many []string
	many = append(many, v1Header)
	for i := range 40 {
		many = append(many, docLine(fmt.Sprintf("/nowhere/n%02d.txt", i), fmt.Sprintf("note %02d", i), fmt.Sprintf("note number %d about gannets", i), "indexed"))
	}
	bad := slices.Clone(many)
	bad[31] = strings.Replace(bad[31], `"status":"indexed"`, `"status":"bogus"`, 1)
	truncated := filepath.Join(t.TempDir(), "cut.hoard")
	os.WriteFile(truncated, good.Bytes()[:good.Len()*2/3], 0o644)
	cases := []struct {
		name, file, want string
	}{
		{"a bad record after thirty good ones", craft(t, bad...), "record 31"},
		{"a truncated file", truncated, "truncated"},
		{"a bad line at the end", craft(t, append(slices.Clone(many), `{"document":`)...), "record 41"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := openVault(t, vault.Options{})
			if _, err := v.Remember(ctx, "", "Something the vault had before."); err != nil {
				t.Fatal(err)
			}
			before := tableCounts(t, v)
			beforeExport := exportLines(t, v, portable.ExportOptions{})
			_, err := v.Import(ctx, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want an error naming %q", err, tc.want)
			}
			if after := tableCounts(t, v); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("the vault changed:\n%v\n%v", before, after)
			}
			if fmt.Sprint(exportLines(t, v, portable.ExportOptions{})) != fmt.Sprint(beforeExport) {
				t.Error("the vault's content changed")
			}
		})
	}
}

// bomb writes an export whose one document line expands to size bytes of
// text: a gzip stream of repeats, a few MB on disk.
func bomb(t *testing.T, size int64) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "bomb.hoard")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	io.WriteString(zw, v1Header+"\n"+`{"document":{"collection":"library","title":"bomb","status":"indexed","text":"`)
	block := bytes.Repeat([]byte("a"), 1<<20)
	for n := int64(0); n < size; n += int64(len(block)) {
		zw.Write(block)
	}
	io.WriteString(zw, `"}}`+"\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

// An import is bounded: the unpacked size, the number of records, each
// record's size and parts are capped with a clear error, and memory stays
// far below what a crafted file expands to.
func TestImportIsBounded(t *testing.T) {
	ctx := context.Background()
	small := portable.ImportLimits{MaxBytes: 4 << 20, MaxRecords: 50, MaxRecordBytes: 256 << 10, MaxRecordValues: 5000}
	var many []string
	many = append(many, v1Header)
	for i := range 60 {
		many = append(many, fmt.Sprintf(`{"collection":{"name":"c%d","weight":1}}`, i))
	}
	var wide []string
	for range 20000 {
		wide = append(wide, `{}`)
	}
	parts := `{"document":{"collection":"library","title":"wide","status":"indexed","sources":[{"path":"/x"}],"sections":[` + strings.Join(wide, ",") + `]}}`
	var big []string
	big = append(big, v1Header)
	for i := range 40 {
		big = append(big, docLine(fmt.Sprintf("/nowhere/b%02d.txt", i), fmt.Sprintf("b%02d", i), strings.Repeat("word ", 20000), "indexed"))
	}
	cases := []struct {
		name  string
		file  string
		limit portable.ImportLimits
		want  string
		alloc uint64 // the most the import may allocate in all
	}{
		{"a compression bomb, small limits", bomb(t, 512<<20), small, "record 1 is over 256 KiB", 64 << 20},
		{"a compression bomb, default limits", bomb(t, 2<<30), portable.ImportLimits{}, "is over 128 MiB", 384 << 20},
		{"too many records", craft(t, many...), small, "more than 50 records", 64 << 20},
		{"a record with too many parts", craft(t, v1Header, parts), small, "more than 5000 values", 64 << 20},
		{"too much in all", craft(t, big...), small, "unpacks to more than 4 MiB", 72 << 20}, // each chunk's text is handed to the full-text index
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := openVault(t, vault.Options{})
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			_, err := v.ImportWith(ctx, tc.file, portable.ImportOptions{Limits: tc.limit})
			runtime.ReadMemStats(&m1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want %q", err, tc.want)
			}
			got := m1.TotalAlloc - m0.TotalAlloc
			t.Logf("allocated %d MiB", got>>20)
			if got > tc.alloc {
				t.Errorf("the import allocated %d MiB, the bound is %d MiB", got>>20, tc.alloc>>20)
			}
			if st, _ := v.Stats(ctx); st.Documents != 0 {
				t.Errorf("%d documents left behind", st.Documents)
			}
		})
	}
}

// Numbers are checked: a weight must be a positive, finite number of
// sensible size; offsets and sizes may not be negative.
func TestImportRefusesBadNumbers(t *testing.T) {
	ctx := context.Background()
	doc := docLine("/nowhere/a.txt", "a", "some text about herons", "indexed")
	cases := []struct {
		name, line, want string
	}{
		{"a weight of -1e308", `{"collection":{"name":"x","weight":-1e308}}`, "weight"},
		{"a negative weight", `{"collection":{"name":"x","weight":-1}}`, "weight"},
		{"a zero weight", `{"collection":{"name":"x","weight":0}}`, "weight"},
		{"a huge weight", `{"collection":{"name":"x","weight":1e308}}`, "weight"},
		{"an overflowing weight", `{"collection":{"name":"x","weight":1e999}}`, "record 1"},
		{"NaN", `{"collection":{"name":"x","weight":NaN}}`, "record 1"},
		{"a negative size", strings.Replace(doc, `"size":22`, `"size":-5`, 1), "size"},
		{"a negative offset", strings.Replace(doc, `"char_start":0`, `"char_start":-3`, 1), "offset"},
		{"an empty collection name", `{"collection":{"name":" ","weight":1}}`, "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := openVault(t, vault.Options{})
			_, err := v.Import(ctx, craft(t, v1Header, tc.line))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want an error about %q", err, tc.want)
			}
			cs, _ := v.Collections(ctx)
			for _, c := range cs {
				if c.Name == "x" || c.Weight <= 0 {
					t.Errorf("collection kept: %+v", c)
				}
			}
		})
	}
}

// A path that is not valid UTF-8 (a Linux file name can be any bytes)
// comes back byte for byte.
func TestInvalidUTF8PathsRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	name := filepath.Join(dir, "caf\xe9-\xff\xfe.txt")
	if err := os.WriteFile(name, []byte("Notes about the latin-1 named cafe file."), 0o644); err != nil {
		t.Skipf("this file system refuses such names: %v", err)
	}
	a := openVault(t, vault.Options{})
	if _, err := a.Add(ctx, []string{name}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddWatched(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "x.hoard")
	if _, err := a.Export(ctx, file); err != nil {
		t.Fatal(err)
	}
	b := openVault(t, vault.Options{})
	if _, err := b.ImportWith(ctx, file, portable.ImportOptions{Watched: true}); err != nil {
		t.Fatal(err)
	}
	docs, _, _ := b.Documents(ctx, store.ListOptions{})
	if len(docs) != 1 || len(docs[0].Paths) != 1 || docs[0].Paths[0] != name {
		t.Fatalf("paths after import: %q, want %q", docs[0].Paths, name)
	}
	da, _, _ := a.Documents(ctx, store.ListOptions{})
	if docs[0].Title != da[0].Title {
		t.Errorf("title %q, want %q", docs[0].Title, da[0].Title)
	}
}

// A document the export holds as queued reaches the queue and is indexed
// by the normal drain, from the text the export carries.
func TestImportedQueuedDocumentsAreIndexed(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, vault.Options{})
	res, err := v.Import(ctx, craft(t, v1Header, docLine("/nowhere/queued.txt", "queued", "Puffins nest in burrows on the cliffs.", store.StatusQueued)))
	if err != nil || res.Added != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	q, err := v.Queue(ctx, 10, 0)
	if err != nil || q.Pending != 1 {
		t.Fatalf("queue after import: %+v %v", q, err)
	}
	if _, err := v.Drain(ctx, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	hits := mustSearch(t, v, "puffins burrows")
	if len(hits) != 1 || hits[0].Path != "/nowhere/queued.txt" {
		t.Fatalf("hits: %+v", hits)
	}
	if st, _ := v.Stats(ctx); st.Queued != 0 {
		t.Errorf("%d documents still queued", st.Queued)
	}
}

// A path an export names is a record of where a document came from, never
// a file to open: the file is not served, re-indexed or read by the drain
// until the user adds it again.
func TestImportedPathsAreNotRead(t *testing.T) {
	ctx := context.Background()
	secret := filepath.Join(t.TempDir(), "id_secret")
	testdata.WriteFile(t, secret, "zebrafish-password-4711\n")
	targets := []string{secret}
	if _, err := os.Stat("/etc/hostname"); err == nil {
		targets = append(targets, "/etc/hostname")
	}
	for _, target := range targets {
		t.Run(filepath.Base(target), func(t *testing.T) {
			v := openVault(t, vault.Options{})
			file := craft(t, v1Header,
				docLine(target, "innocent", "An innocent note about otters.", "indexed"),
				docLine(target+".queued", "queued", "A queued note about voles.", store.StatusQueued))
			if _, err := v.Import(ctx, file); err != nil {
				t.Fatal(err)
			}
			docs, _, _ := v.Documents(ctx, store.ListOptions{Query: "innocent"})
			if len(docs) != 1 {
				t.Fatalf("docs: %+v", docs)
			}
			if p, _, err := v.SourceFile(ctx, docs[0].ID); !errors.Is(err, vault.ErrNoSource) {
				t.Errorf("the imported path is served: %q %v", p, err)
			}
			if err := v.ReindexDocument(ctx, docs[0].ID); !errors.Is(err, vault.ErrNoSource) {
				t.Errorf("re-index of an imported path: %v", err)
			}
			if _, err := v.Add(ctx, nil, vault.AddOptions{}); err != nil { // catch-up: finish the queue
				t.Fatal(err)
			}
			if hits := mustSearch(t, v, "zebrafish password"); len(hits) != 0 {
				t.Errorf("the file was read into the vault: %+v", hits)
			}
			if hits := mustSearch(t, v, "otters"); len(hits) != 1 {
				t.Errorf("the imported text is gone: %+v", hits)
			}
			if target != secret {
				return
			}
			// The user adds it: now it is theirs to open.
			if _, err := v.Add(ctx, []string{secret}, vault.AddOptions{}); err != nil {
				t.Fatal(err)
			}
			if hits := mustSearch(t, v, "zebrafish password"); len(hits) != 1 {
				t.Errorf("the file the user added is not indexed: %+v", hits)
			}
			id, err := storeOf(t, v).DocumentIDForPath(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			if p, _, err := v.SourceFile(ctx, id); err != nil || p != secret {
				t.Errorf("the added file is not served: %q %v", p, err)
			}
		})
	}
}

// An export written before the format carried everything still imports.
func TestImportReadsVersion1(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, vault.Options{})
	res, err := v.Import(ctx, craft(t, v1Header, `{"collection":{"id":3,"name":"old","weight":1.5,"documents":1,"created_at":5}}`,
		strings.Replace(docLine("/old/a.txt", "a", "Kittiwakes cling to ledges.", "indexed"), `"collection":"library"`, `"collection":"old"`, 1)))
	if err != nil || res.Added != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if hits := mustSearch(t, v, "kittiwakes"); len(hits) != 1 {
		t.Errorf("hits: %+v", hits)
	}
	cs, _ := v.Collections(ctx)
	found := false
	for _, c := range cs {
		found = found || c.Name == "old" && c.Weight == 1.5
	}
	if !found {
		t.Errorf("collections: %+v", cs)
	}
	if m, _ := v.Memory(ctx, true); m.Documents != 1 || len(m.Gists) != 1 {
		t.Errorf("an old export's documents get gists: %+v", m)
	}
}

// FuzzImport feeds arbitrary bytes (and mutations of a real export) to the
// export reader: it may refuse them, but never panics, and a refused import
// changes nothing.
func FuzzImport(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "a.md"), []byte("# Gulls\n\nHerring gulls steal chips.\n"), 0o644)
	v, err := vault.Open(ctx, filepath.Join(dir, "vault"), vault.Options{Neural: vault.NeuralOptions{Models: vault.ModelManager(filepath.Join(dir, "models"))}})
	if err != nil {
		f.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Add(ctx, []string{src}, vault.AddOptions{}); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := v.WriteExport(ctx, &buf); err != nil {
		f.Fatal(err)
	}
	zr, _ := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	plain, _ := io.ReadAll(zr)
	f.Add(buf.Bytes())
	f.Add(plain)
	f.Add([]byte(v1Header + "\n" + docLine("/x", "x", "text", "queued")))
	limits := portable.ImportLimits{MaxBytes: 1 << 20, MaxRecords: 1000, MaxRecordBytes: 64 << 10, MaxRecordValues: 10000}
	f.Fuzz(func(t *testing.T, data []byte) {
		st0, err := v.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.ImportFrom(ctx, bytes.NewReader(data), portable.ImportOptions{Limits: limits})
		if err == nil {
			return
		}
		st1, _ := v.Stats(ctx)
		st0.Bytes, st1.Bytes = 0, 0 // the file's size on disk may move
		if st1 != st0 {
			t.Fatalf("a refused import changed the vault: %+v -> %+v (%v)", st0, st1, err)
		}
	})
}

// Vectors travel with their model's name: a vault with that model (or none
// yet) takes them as they are, with the same hybrid answers; a vault whose
// vectors are another model's leaves them and embeds the chunks with its
// own; an export without vectors is embedded by the importing vault.
func TestImportedVectorsKeepTheirModel(t *testing.T) {
	ctx := context.Background()
	m := tinyModels(t)
	neural := func(model string) vault.Options {
		return vault.Options{Neural: vault.NeuralOptions{Models: m, Embedder: model, Reranker: "none"}}
	}
	src := t.TempDir()
	for i := range 30 {
		testdata.WriteFile(t, filepath.Join(src, fmt.Sprintf("n%02d.txt", i)), fmt.Sprintf("Note %d about topic %d and idea %d.", i, i%7, i%11))
	}
	a := openVault(t, neural("tiny"))
	if _, err := a.Add(ctx, []string{src}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	full, bare := filepath.Join(t.TempDir(), "v.hoard"), filepath.Join(t.TempDir(), "bare.hoard")
	if _, err := a.Export(ctx, full); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExportWith(ctx, bare, portable.ExportOptions{NoVectors: true}); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	testdata.WriteFile(t, filepath.Join(other, "own.txt"), "A note this vault had before.")
	cases := []struct {
		name, model, file string
		own               bool // the vault has its own vectors first
		taken, skipped    int
		embedded          bool // the vault makes them again (hoard reindex --vectors)
	}{
		{"same model", "tiny", full, false, 30, 0, false},
		{"no vectors yet, another embedder", "tiny2", full, false, 30, 0, true},
		{"another model's vectors", "tiny2", full, true, 0, 30, true},
		{"an export without vectors", "tiny", bare, false, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := openVault(t, neural(tc.model))
			if tc.own {
				if _, err := b.Add(ctx, []string{other}, vault.AddOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := b.Import(ctx, tc.file)
			if err != nil || res.Vectors != tc.taken || res.VectorsSkipped != tc.skipped {
				t.Fatalf("import: %+v %v", res, err)
			}
			if tc.taken > 0 && !tc.embedded {
				st, _ := b.Status(ctx)
				if st.Neural.Pending != 0 || !st.Neural.HybridActive {
					t.Errorf("the vectors do not serve as imported: %+v", st.Neural)
				}
				if ha, hb := strip(mustSearch(t, a, "topic 3 idea")), strip(mustSearch(t, b, "topic 3 idea")); fmt.Sprint(ha) != fmt.Sprint(hb) {
					t.Errorf("hybrid search differs:\n%v\n%v", ha, hb)
				}
			}
			if !tc.embedded {
				return
			}
			if _, err := b.Reindex(ctx, vault.ReindexOptions{Vectors: true}); err != nil {
				t.Fatal(err)
			}
			st, _ := b.Status(ctx)
			if st.Neural.VectorModel != tc.model || st.Neural.Pending != 0 || st.Neural.Embedded != st.Chunks {
				t.Errorf("after re-embedding: %+v", st.Neural)
			}
		})
	}
}
