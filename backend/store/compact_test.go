package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// indexesOf lists a table's indexes with their columns, as "name(a,b)".
func indexesOf(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT il.name, group_concat(coalesce(ii.name, '?'), ',') FROM pragma_index_list(?) il
		JOIN pragma_index_info(il.name) ii GROUP BY il.name ORDER BY il.name`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, cols string
		if err := rows.Scan(&name, &cols); err != nil {
			t.Fatal(err)
		}
		out = append(out, name+"("+cols+")")
	}
	return out
}

// The documents keep the indexes the common reads walk, each as small as
// it can be, and every listing order still reads right without the rest:
// the title and size orders sort, the newest-first ones read their
// ascending index backwards.
func TestDocumentIndexesCompact(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	want := []string{"documents_collection(collection_id)", "documents_created(created_at)", "documents_hash(hash)",
		"documents_text_form(id)", "documents_unindexed(status)", "documents_updated(updated_at)"}
	if got := indexesOf(t, s.DB(), "documents"); !slices.Equal(got, want) {
		t.Errorf("documents indexes\n got %v\nwant %v", got, want)
	}

	titles := []string{"banana", "Apple", "cherry", "apple", "Date"}
	for i, title := range titles {
		text := strings.Repeat("word ", i+1)
		c := Content{Hash: fmt.Sprint("h", i), Title: title, Size: int64(10 * (i % 3)), Text: text, Chunks: chunksAt(text, [2]int{0, len(text)})}
		if _, _, err := s.Index(ctx, "", Source{Path: fmt.Sprint("/d", i)}, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordFailure(ctx, "", Source{Path: "/broken"}, "hb", "text/plain", "unreadable"); err != nil {
		t.Fatal(err)
	}
	// Same second: the newest-first orders fall back on the id.
	s.DB().Exec(`UPDATE documents SET updated_at = 100, created_at = 100`)
	cases := []struct {
		sort string
		ids  []int64
	}{
		{"", []int64{6, 5, 4, 3, 2, 1}},
		{"-updated", []int64{1, 2, 3, 4, 5, 6}},
		{"added", []int64{6, 5, 4, 3, 2, 1}},
		{"title", []int64{2, 4, 1, 6, 3, 5}}, // any case; ties by id; "broken" among them
		{"-title", []int64{5, 3, 6, 1, 4, 2}},
		{"size", []int64{3, 5, 2, 6, 4, 1}},
		{"-size", []int64{1, 4, 6, 2, 5, 3}},
	}
	for _, tc := range cases {
		t.Run("sort "+tc.sort, func(t *testing.T) {
			docs, total, err := s.ListDocuments(ctx, ListOptions{Sort: tc.sort})
			if err != nil || total != len(tc.ids) {
				t.Fatalf("%d documents (%v)", total, err)
			}
			var ids []int64
			for _, d := range docs {
				ids = append(ids, d.ID)
			}
			if !slices.Equal(ids, tc.ids) {
				t.Errorf("order %v, want %v", ids, tc.ids)
			}
		})
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Documents != 6 || st.Indexed != 5 || st.Failed != 1 || st.Queued != 0 {
		t.Errorf("stats %+v (%v)", st, err)
	}
	// The default page is read from its index, not sorted.
	rows, err := s.DB().Query(`EXPLAIN QUERY PLAN SELECT d.id FROM documents d ORDER BY d.updated_at DESC, d.id DESC LIMIT 50`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, x int
		var detail string
		rows.Scan(&id, &parent, &x, &detail)
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "documents_updated") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("the newest-first page: %s", p)
	}
}

// A content hash in lowercase hex is stored as its bytes; any other stays
// as it came. Either way every lookup and every reader gets it back as it
// was given, and content already stored is still found by it.
func TestHashStoredAsBytes(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	sum := sha256.Sum256([]byte("bread"))
	cases := []struct {
		name, hash, stored string
	}{
		{"sha-256", hex.EncodeToString(sum[:]), "blob"},
		{"short hex", "ab01", "blob"},
		{"upper case", "AB01", "text"},
		{"odd length", "abc", "text"},
		{"not hex", "h1", "text"},
		{"none", "", "null"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := fmt.Sprintf("loaf number %d", i)
			c := Content{Hash: tc.hash, Title: tc.name, Text: text, Chunks: chunksAt(text, [2]int{0, len(text)})}
			path := fmt.Sprint("/bread", i)
			id, _, err := s.Index(ctx, "", Source{Path: path}, c)
			if err != nil {
				t.Fatal(err)
			}
			var typ string
			var n int
			s.DB().QueryRow(`SELECT typeof(hash), coalesce(length(hash), 0) FROM documents WHERE id = ?`, id).Scan(&typ, &n)
			if typ != tc.stored || (typ == "blob" && n != len(tc.hash)/2) {
				t.Errorf("stored as %s of %d bytes, want %s", typ, n, tc.stored)
			}
			st, err := s.SourceState(ctx, path)
			if err != nil || st.Hash != tc.hash {
				t.Errorf("source state hash %q (%v)", st.Hash, err)
			}
			d, err := s.GetDocument(ctx, id)
			if err != nil || d.Hash != tc.hash {
				t.Errorf("document hash %q (%v)", d.Hash, err)
			}
			var exported string
			s.EachRecord(ctx, func(r Record) error {
				if r.ID == id {
					exported = r.Hash
				}
				return nil
			})
			if exported != tc.hash {
				t.Errorf("exported hash %q", exported)
			}
			if tc.hash == "" {
				return
			}
			if ok, err := s.HasIndexedHash(ctx, tc.hash); !ok || err != nil {
				t.Errorf("hash not found (%v)", err)
			}
			// The same content under another path is linked, not stored again.
			if _, out, err := s.Index(ctx, "", Source{Path: path + "-copy"}, c); err != nil || out != Linked {
				t.Errorf("the same content again: outcome %v (%v)", out, err)
			}
		})
	}
}

// collidingNames finds two names with the same entity key.
func collidingNames(t *testing.T) (string, string) {
	seen := map[int64]string{}
	for i := 0; i < 1<<20; i++ {
		name := fmt.Sprint("entity ", i)
		k := entityKey(name)
		if other, ok := seen[k]; ok {
			return other, name
		}
		seen[k] = name
	}
	t.Fatal("no two names share a key")
	return "", ""
}

// Entities are looked up by a hash of their name, not by an index holding
// every name again; names that share the hash stay apart, and a name seen
// again gets its id again.
func TestEntityNamesKeyed(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	if got, want := indexesOf(t, s.DB(), "entities"), []string{"entities_key(key)"}; !slices.Equal(got, want) {
		t.Errorf("entities indexes %v, want %v", got, want)
	}
	a, b := collidingNames(t)
	for i, names := range [][]string{{a, b}, {b, "marie curie"}, {a}} {
		text := fmt.Sprint("chunk ", i)
		var refs []EntityRef
		for _, n := range names {
			refs = append(refs, EntityRef{n, 2})
		}
		c := Content{Hash: fmt.Sprint("h", i), Title: text, Text: text, Chunks: []Chunk{{Text: text, CharEnd: len(text), Entities: refs}}}
		if _, _, err := s.Index(ctx, "", Source{Path: fmt.Sprint("/e", i)}, c); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string, args ...any) (n int) {
		if err := s.DB().QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM entities`); n != 3 {
		t.Errorf("%d entities, want 3", n)
	}
	for _, name := range []string{a, b} {
		if n := count(`SELECT count(*) FROM entity_refs r JOIN entities e ON e.id = r.entity_id WHERE e.name = ?`, name); n != 2 {
			t.Errorf("%q: %d references, want 2", name, n)
		}
	}
	// Facts reach their entities by name too.
	var chunk int64
	s.DB().QueryRow(`SELECT min(id) FROM chunks`).Scan(&chunk)
	id := func(n string) string { return n }
	if err := s.PutFacts(ctx, chunk, "m", []Fact{{Subject: b, Relation: "is", Object: "x"}}, id); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM entities`); n != 4 {
		t.Errorf("%d entities after the fact, want 4", n)
	}
	if fs, err := s.FactsAbout(ctx, []string{a}, 5); err != nil || len(fs) != 0 {
		t.Errorf("facts about %q: %v (%v)", a, fs, err)
	}
	if fs, err := s.FactsAbout(ctx, []string{b}, 5); err != nil || len(fs) != 1 {
		t.Errorf("facts about %q: %v (%v)", b, fs, err)
	}
}

// olderVault makes a vault at schema version v, with the migrations up to
// it applied as an older build did.
func olderVault(t *testing.T, v int) (string, *sql.DB) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "v.db")
	db, err := sql.Open("sqlite3", "file:"+file+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:v] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
		t.Fatal(err)
	}
	return file, db
}

// fillOlderVault writes documents as a build at schema 16 did: hex hashes,
// entities with their unique names, references and a fact.
func fillOlderVault(t *testing.T, db *sql.DB, docs int) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) sql.Result {
		t.Helper()
		res, err := tx.Exec(q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	for i := 1; i <= docs; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		hash := hex.EncodeToString(sum[:])
		if i%7 == 0 {
			hash = fmt.Sprint("imported-", i) // an import's hash, not hex
		}
		exec(`INSERT INTO documents (id, collection_id, hash, title, size, status, text, text_form, created_at, updated_at) VALUES (?, 1, ?, ?, ?, 'indexed', '', 1, ?, ?)`,
			i, hash, fmt.Sprint("Bread ", i), i, i, i)
		exec(`INSERT INTO sources (document_id, path, added_at) VALUES (?, ?, 0)`, i, fmt.Sprint("/bread/", i))
		text := fmt.Sprint("Rye loaf ", i)
		chunk, _ := exec(`INSERT INTO chunks (document_id, ordinal, text, char_start, char_end) VALUES (?, 0, ?, 0, ?)`, i, text, len(text)).LastInsertId()
		exec(`INSERT INTO chunks_fts (rowid, title, heading, body) VALUES (?, ?, '', ?)`, chunk, fmt.Sprint("Bread ", i), text)
		for _, name := range []string{fmt.Sprint("bread ", i), "rye", fmt.Sprint("loaf ", i%5)} {
			exec(`INSERT OR IGNORE INTO entities (name) VALUES (?)`, name)
			kind := 2
			if name == fmt.Sprint("bread ", i) {
				kind = 1
			}
			exec(`INSERT INTO entity_refs (entity_id, chunk_id, kind) SELECT id, ?, ? FROM entities WHERE name = ?`, chunk, kind, name)
		}
		if i == 3 {
			exec(`INSERT INTO facts (chunk_id, subject, relation, object, subject_entity, object_entity)
				SELECT ?, 'rye', 'is', 'grain', (SELECT id FROM entities WHERE name = 'rye'), NULL`, chunk)
		}
	}
	exec(`UPDATE documents SET status = 'failed', error = 'unreadable' WHERE id = 5`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A vault from before 0017 is converted when it opens: its hashes packed,
// its entities keyed under the ids they had, its indexes replaced; every
// lookup answers as before and nothing is lost.
func TestOpenCompactsAnOlderVault(t *testing.T) {
	ctx := context.Background()
	const docs = 60
	file, db := olderVault(t, 16)
	fillOlderVault(t, db, docs)
	type ref struct {
		name  string
		chunk int64
		kind  int
	}
	refsOf := func(db *sql.DB) []ref {
		var out []ref
		rows, err := db.Query(`SELECT e.name, r.chunk_id, r.kind FROM entity_refs r JOIN entities e ON e.id = r.entity_id ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var r ref
			rows.Scan(&r.name, &r.chunk, &r.kind)
			out = append(out, r)
		}
		return out
	}
	before := refsOf(db)
	var entitiesBefore int
	db.QueryRow(`SELECT count(*) FROM entities`).Scan(&entitiesBefore)
	db.Close()

	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(ctx); v < 17 {
		t.Fatalf("schema %d", v)
	}
	if after := refsOf(s.DB()); !slices.Equal(after, before) || len(before) != 3*docs {
		t.Errorf("%d entity references after opening, %d before (want %d), or not the same", len(after), len(before), 3*docs)
	}
	var unkeyed, blobs int
	s.DB().QueryRow(`SELECT count(*) FROM entities WHERE key <> 0 OR name = ''`).Scan(&unkeyed)
	if unkeyed != entitiesBefore {
		t.Errorf("%d of %d entities keyed", unkeyed, entitiesBefore)
	}
	s.DB().QueryRow(`SELECT count(*) FROM documents WHERE typeof(hash) = 'blob' AND length(hash) = 32`).Scan(&blobs)
	if want := docs - docs/7; blobs != want {
		t.Errorf("%d hashes packed, want %d", blobs, want)
	}
	for _, i := range []int{1, 7, docs} {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		hash := hex.EncodeToString(sum[:])
		if i%7 == 0 {
			hash = fmt.Sprint("imported-", i)
		}
		st, err := s.SourceState(ctx, fmt.Sprint("/bread/", i))
		if err != nil || st.Hash != hash || st.DocumentID != int64(i) {
			t.Errorf("document %d: source state %+v (%v)", i, st, err)
		}
		if ok, _ := s.HasIndexedHash(ctx, hash); !ok {
			t.Errorf("document %d: its hash is not found", i)
		}
	}
	// The writer finds the converted names: a known one is not added again.
	c := Content{Hash: "new", Title: "New", Text: "rye", Chunks: []Chunk{{Text: "rye", CharEnd: 3, Entities: []EntityRef{{"rye", 2}, {"bread 3", 2}}}}}
	if _, _, err := s.Index(ctx, "", Source{Path: "/new"}, c); err != nil {
		t.Fatal(err)
	}
	var entitiesAfter int
	s.DB().QueryRow(`SELECT count(*) FROM entities`).Scan(&entitiesAfter)
	if entitiesAfter != entitiesBefore {
		t.Errorf("%d entities after indexing known names, %d before", entitiesAfter, entitiesBefore)
	}
	if fs, err := s.FactsAbout(ctx, []string{"rye"}, 5); err != nil || len(fs) != 1 {
		t.Errorf("facts about rye: %v (%v)", fs, err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Documents != docs+1 || st.Failed != 1 || st.Indexed != docs {
		t.Errorf("stats %+v (%v)", st, err)
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

// A conversion that fails leaves the vault as it was: at its version, with
// its indexes, its hashes and its entities.
func TestFailedCompactionLeavesTheVault(t *testing.T) {
	ctx := context.Background()
	file, db := olderVault(t, 16)
	fillOlderVault(t, db, 10)
	// A table in the way of the rebuild's own.
	if _, err := db.Exec(`CREATE TABLE entities_keyed (x)`); err != nil {
		t.Fatal(err)
	}
	indexes := indexesOf(t, db, "documents")
	db.Close()
	if s, err := Open(ctx, file); err == nil {
		s.Close()
		t.Fatal("opened")
	}
	db, err := sql.Open("sqlite3", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v, texts, names int
	db.QueryRow(`PRAGMA user_version`).Scan(&v)
	db.QueryRow(`SELECT count(*) FROM documents WHERE typeof(hash) = 'text'`).Scan(&texts)
	db.QueryRow(`SELECT count(*) FROM entities`).Scan(&names)
	if v != 16 || texts != 10 || names != 10+1+5 {
		t.Errorf("version %d, %d text hashes, %d entities; want 16, 10, 16", v, texts, names)
	}
	if got := indexesOf(t, db, "documents"); !slices.Equal(got, indexes) {
		t.Errorf("indexes %v, were %v", got, indexes)
	}
}

// prose makes n passages of Zipf-distributed words from one vocabulary, as
// a vault's documents share their language.
func prose(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 3000)
	for i := range vocab {
		w := make([]byte, 3+r.IntN(8))
		for j := range w {
			w[j] = "etaoinshrdlucmfwypvbgkq"[r.IntN(23)]
		}
		vocab[i] = string(w)
	}
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for b.Len() < 600+r.IntN(800) {
			b.WriteString(vocab[z.Uint64()])
			if r.IntN(12) == 0 {
				b.WriteString(". ")
			} else {
				b.WriteByte(' ')
			}
		}
		out[i] = b.String()
	}
	return out
}

// Chunk text is deflated against a dictionary learned from the vault's
// first text: it packs smaller than deflate alone, is stored once, reads
// back the same in this process and in another, and is used again after
// the vault is opened again.
func TestChunkTextPackedWithDictionary(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	texts := prose(500)
	other, err := Open(ctx, file) // another process's view, opened before
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	index := func(s *Store, from, to int) {
		t.Helper()
		b, err := s.BeginBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			c := Content{Hash: fmt.Sprint("h", i), Title: fmt.Sprint("Doc ", i), Text: texts[i], Chunks: chunksAt(texts[i], [2]int{0, len(texts[i])})}
			s.Pack(&c) // as ingestion's workers do
			if _, _, err := b.Index(ctx, "", Source{Path: fmt.Sprint("/d", i)}, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	index(s, 0, 400)
	var dicts, withDict, packed, plain int
	s.DB().QueryRow(`SELECT count(*) FROM pack_dicts`).Scan(&dicts)
	s.DB().QueryRow(`SELECT count(*), coalesce(sum(length(text)), 0) FROM chunks WHERE typeof(text) = 'blob' AND substr(text, 1, 1) = x'02'`).Scan(&withDict, &packed)
	if dicts != 1 || withDict < 150 {
		t.Fatalf("%d dictionaries, %d chunks packed with one", dicts, withDict)
	}
	// The same chunks deflated alone.
	err = eachRow(ctx, s.DB(), `SELECT document_id FROM chunks WHERE substr(text, 1, 1) = x'02'`, nil, func(rows *sql.Rows) error {
		var id int
		rows.Scan(&id)
		plain += len(packText(texts[id-1]).([]byte))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if float64(packed) > 0.9*float64(plain) {
		t.Errorf("%d bytes packed with the dictionary, %d without: want under 90%%", packed, plain)
	}
	check := func(s *Store, name string, upTo int) {
		t.Helper()
		for id := 1; id <= upTo; id++ {
			cs, err := s.Chunks(ctx, int64(id))
			if err != nil || len(cs) != 1 || cs[0].Text != texts[id-1] {
				t.Fatalf("%s: document %d reads back differently (%v)", name, id, err)
			}
		}
	}
	check(s, "this process", 400)
	check(other, "another process", 400)
	s.Close()
	s, err = Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	index(s, 400, 500)
	check(s, "opened again", 500)
	s.DB().QueryRow(`SELECT count(*) FROM pack_dicts`).Scan(&dicts)
	s.DB().QueryRow(`SELECT count(*) FROM chunks WHERE document_id > 400 AND substr(text, 1, 1) <> x'02'`).Scan(&plain)
	if dicts != 1 || plain != 0 {
		t.Errorf("opened again: %d dictionaries, %d new chunks without one", dicts, plain)
	}
	// A chunk naming a dictionary the vault lacks is an error, not text.
	s.DB().Exec(`UPDATE chunks SET text = x'02ff0305616263' WHERE document_id = 500`)
	if _, err := s.Chunks(ctx, 500); !errors.Is(err, errPacked) {
		t.Errorf("a missing dictionary: %v", err)
	}
}

// A vault that holds text but no dictionary (grown by small additions, or
// from before 0017) learns one from its text when it opens: what it packs
// next, and its plain text from before 0015, are packed with it.
func TestDictionaryLearnedFromStoredText(t *testing.T) {
	ctx := context.Background()
	file, db := olderVault(t, 14)
	texts := prose(300)
	for i, text := range texts {
		db.Exec(`INSERT INTO documents (id, collection_id, hash, title, status, text, text_form, created_at, updated_at) VALUES (?, 1, ?, 'T', 'indexed', '', 1, 0, 0)`, i+1, fmt.Sprint(i))
		db.Exec(`INSERT INTO chunks (document_id, ordinal, text, char_start, char_end) VALUES (?, 0, ?, 0, ?)`, i+1, text, len(text))
	}
	db.Close()
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var dicts, withDict int
	s.DB().QueryRow(`SELECT count(*) FROM pack_dicts`).Scan(&dicts)
	s.DB().QueryRow(`SELECT count(*) FROM chunks WHERE substr(text, 1, 1) = x'02'`).Scan(&withDict)
	if dicts != 1 || withDict != len(texts) {
		t.Errorf("%d dictionaries, %d of %d chunks packed with one", dicts, withDict, len(texts))
	}
	c := Content{Hash: "new", Title: "New", Text: texts[0] + " again", Chunks: chunksAt(texts[0]+" again", [2]int{0, len(texts[0]) + 6})}
	s.Pack(&c)
	if _, _, err := s.Index(ctx, "", Source{Path: "/new"}, c); err != nil {
		t.Fatal(err)
	}
	s.DB().QueryRow(`SELECT count(*) FROM chunks WHERE substr(text, 1, 1) = x'02'`).Scan(&withDict)
	s.DB().QueryRow(`SELECT count(*) FROM pack_dicts`).Scan(&dicts)
	if dicts != 1 || withDict != len(texts)+1 {
		t.Errorf("after a new document: %d dictionaries, %d chunks packed with one", dicts, withDict)
	}
	for id := 1; id <= len(texts); id++ {
		if cs, err := s.Chunks(ctx, int64(id)); err != nil || len(cs) != 1 || cs[0].Text != texts[id-1] {
			t.Fatalf("document %d reads back differently (%v)", id, err)
		}
	}
}
