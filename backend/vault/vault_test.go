package vault

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
)

func openVault(t *testing.T, opt Options) *Vault {
	t.Helper()
	if opt.Neural.Models == nil {
		opt.Neural.Models = ModelManager(t.TempDir()) // none installed
	}
	v, err := Open(context.Background(), t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func writeFile(t *testing.T, path, body string) { t.Helper(); testdata.WriteFile(t, path, body) }

func mustSearch(t *testing.T, v *Vault, q string) []search.Hit {
	t.Helper()
	hits, err := v.Search(context.Background(), search.Request{Query: q, Limit: 10})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return hits
}

func TestAddSamples(t *testing.T) {
	dir := testdata.Shared(t, "samples/docs")
	ctx := context.Background()
	// The samples folder keeps each document's reference text beside it;
	// near-duplicate collapsing would rightly hide one of each pair.
	sopt, _ := search.DefaultOptions().WithStages("-dedupe")
	v := openVault(t, Options{Search: &sopt})
	var progress []Progress
	sum, err := v.Add(ctx, []string{dir}, AddOptions{Progress: func(p Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed < 30 {
		t.Fatalf("indexed %d, want ≥ 30 (summary %+v)", sum.Indexed, sum)
	}
	if len(progress) == 0 || progress[len(progress)-1].Done != progress[len(progress)-1].Total {
		t.Fatalf("progress did not reach the total: %+v", progress)
	}
	hits := mustSearch(t, v, "bottles of water")
	if len(hits) == 0 || !strings.HasSuffix(hits[0].Path, "fake-memo.pdf") && !strings.HasSuffix(hits[0].Path, "fake-memo.pdftotext.txt") {
		t.Fatalf("bottles of water: %+v", hits)
	}
	var pdfHit *search.Hit
	for i := range hits {
		if strings.HasSuffix(hits[i].Path, ".pdf") {
			pdfHit = &hits[i]
		}
	}
	if pdfHit == nil || pdfHit.Page != 1 || !strings.Contains(pdfHit.Snippet, "<mark>") {
		t.Fatalf("want the PDF hit on page 1 with a highlighted snippet: %+v", pdfHit)
	}
	// A scanned PDF is read by OCR, keeping its page; without tesseract it
	// is indexed with no chunks and says why.
	id, err := v.store.DocumentIDForPath(ctx, filepath.Join(dir, "unstructured", "loremipsum-flat.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := v.Document(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, ocrErr := extract.NewOCR(""); ocrErr == nil {
		hits := mustSearch(t, v, "Lorem ipsum")
		found := false
		for _, h := range hits {
			found = found || strings.HasSuffix(h.Path, "loremipsum-flat.pdf") && h.Page == 1
		}
		if !found || doc.Chunks == 0 {
			t.Fatalf("scanned PDF not found by OCR'd text: %d chunks, hits %+v", doc.Chunks, hits)
		}
	} else if os.Getenv("HOARD_REQUIRE_OCR") == "1" {
		t.Fatalf("HOARD_REQUIRE_OCR=1: %v", ocrErr)
	} else if doc.Status != store.StatusIndexed || doc.Chunks != 0 || !strings.HasPrefix(doc.Error, "no text layer; OCR needed") {
		t.Fatalf("loremipsum-flat.pdf: status %q, %d chunks, note %q", doc.Status, doc.Chunks, doc.Error)
	}
	// Headings and pages reach the hits: a DOCX heading.
	hits = mustSearch(t, v, "my first thought")
	found := false
	for _, h := range hits {
		if strings.HasSuffix(h.Path, "simple.docx") && h.Page >= 1 && h.Heading == "These are a few of my favorite things:" {
			found = true
		}
	}
	if !found {
		t.Fatalf("want a simple.docx hit with page and heading: %+v", hits)
	}
	// The PDF's bold line is the heading of the passage under it.
	hits = mustSearch(t, v, "quality assurance explores")
	if len(hits) == 0 || !strings.HasSuffix(hits[0].Path, "list-item-example.pdf") ||
		hits[0].Heading != "Module One - Introduction to Product Development and Quality Assurance" {
		t.Fatalf("want the PDF hit under its bold heading: %+v", hits)
	}
	// A path that does not exist is reported, not stored.
	sum2, err := v.Add(ctx, []string{filepath.Join(dir, "no-such.pdf")}, AddOptions{})
	if err != nil || len(sum2.Failed) != 1 || sum2.Failed[0].Reason != "no such file" {
		t.Fatalf("missing path: %+v %v", sum2, err)
	}
	if _, err := v.store.DocumentIDForPath(ctx, filepath.Join(dir, "no-such.pdf")); err == nil {
		t.Fatal("a missing path was stored")
	}
	again, err := v.Add(ctx, []string{dir}, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Indexed != 0 || again.Unchanged < sum.Indexed {
		t.Fatalf("re-adding unchanged files: %+v", again)
	}
	if err := v.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestChangeAndDuplicates(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	src := t.TempDir()
	a := filepath.Join(src, "a.md")
	writeFile(t, a, "# Garden\n\nThe zucchini harvest was enormous.\n")
	if _, err := v.Add(ctx, []string{a}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	first := mustSearch(t, v, "zucchini")
	if len(first) != 1 || first[0].Heading != "Garden" || first[0].Title != "Garden" {
		t.Fatalf("zucchini: %+v", first)
	}
	writeFile(t, a, "# Garden\n\nThe pumpkin harvest was enormous.\n")
	sum, err := v.Add(ctx, []string{a}, AddOptions{})
	if err != nil || sum.Indexed != 1 {
		t.Fatalf("changed file: %+v %v", sum, err)
	}
	if hits := mustSearch(t, v, "zucchini"); len(hits) != 0 {
		t.Fatalf("old chunks survived: %+v", hits)
	}
	second := mustSearch(t, v, "pumpkin")
	if len(second) != 1 || second[0].DocID != first[0].DocID {
		t.Fatalf("changed file should keep its document id: %+v vs %+v", second, first)
	}
	// The same bytes under another path: one document, two paths.
	b := filepath.Join(src, "sub", "copy.md")
	data, _ := os.ReadFile(a)
	writeFile(t, b, string(data))
	sum, err = v.Add(ctx, []string{src}, AddOptions{})
	if err != nil || sum.Linked != 1 || sum.Unchanged != 1 {
		t.Fatalf("duplicate: %+v %v", sum, err)
	}
	docs, total, err := v.Documents(ctx, store.ListOptions{})
	if err != nil || total != 1 || len(docs[0].Paths) != 2 {
		t.Fatalf("want one document with two paths: %+v %v", docs, err)
	}
	if err := v.Remove(ctx, a); err != nil {
		t.Fatal(err)
	}
	if hits := mustSearch(t, v, "pumpkin"); len(hits) != 1 || hits[0].Path != b {
		t.Fatalf("after removing one path: %+v", hits)
	}
	if err := v.Remove(ctx, b); err != nil {
		t.Fatal(err)
	}
	if st, _ := v.Status(ctx); st.Documents != 0 || st.Chunks != 0 {
		t.Fatalf("after removing both paths: %+v", st)
	}
	if err := v.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// zipWith builds a zip container with the given members (stored deflated).
func zipWith(t *testing.T, members map[string][]byte, encrypted bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range members {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if encrypted {
			h.Flags |= 0x1
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	zw.Close()
	return buf.Bytes()
}

func TestBadInputFailsAlone(t *testing.T) {
	ctx := context.Background()
	limits := extract.DefaultLimits()
	limits.MaxFileBytes = 1 << 20
	limits.MaxUnzippedBytes = 2 << 20
	v := openVault(t, Options{Limits: limits})
	src := t.TempDir()
	// Something already stored must survive the bad batch.
	writeFile(t, filepath.Join(src, "keep", "keeper.txt"), "The lighthouse keeper logs every ship.")
	if _, err := v.Add(ctx, []string{filepath.Join(src, "keep")}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(src, "bad")
	memo, _ := os.ReadFile(filepath.Join(testdata.Root(), "backend", "vault", "testdata", "encrypted.pdf"))
	bomb := zipWith(t, map[string][]byte{"word/document.xml": bytes.Repeat([]byte("<w:t>a</w:t>"), 1<<20)}, false)
	cases := map[string]struct {
		body []byte
		want string
	}{
		"empty.txt":         {nil, "empty"},
		"truncated.pdf":     {[]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog"), "corrupt"},
		"encrypted.pdf":     {memo, "encrypted"},
		"bomb.docx":         {bomb, "too large"},
		"locked.docx":       {zipWith(t, map[string][]byte{"word/document.xml": []byte("<w:t>x</w:t>")}, true), "encrypted"},
		"notazip.docx":      {[]byte("PK\x03\x04garbage that is not a zip"), "corrupt"},
		"binary.txt":        {bytes.Repeat([]byte{0, 1, 2, 3, 250, 251}, 1000), "binary"},
		"huge.txt":          {bytes.Repeat([]byte("word "), 300000), "too large"},
		"bad.epub":          {zipWith(t, map[string][]byte{"mimetype": []byte("application/epub+zip")}, false), "corrupt"},
		"random.png":        {[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "corrupt"},
		"latin1-ok.txt":     {[]byte("Un caf\xe9 cr\xe8me au comptoir."), ""},
		"good-neighbour.md": {[]byte("# Note\n\nThe neighbour file is fine."), ""},
	}
	for name, c := range cases {
		writeFile(t, filepath.Join(bad, name), string(c.body))
	}
	// A symlink loop and a dangling link.
	os.Symlink(filepath.Join(bad, "loop-b.txt"), filepath.Join(bad, "loop-a.txt"))
	os.Symlink(filepath.Join(bad, "loop-a.txt"), filepath.Join(bad, "loop-b.txt"))
	os.Symlink(bad, filepath.Join(bad, "self-dir"))
	sum, err := v.Add(ctx, []string{bad, filepath.Join(bad, "random.png")}, AddOptions{})
	if err != nil {
		t.Fatalf("a bad batch must complete: %v", err)
	}
	reasons := map[string]string{}
	for _, f := range sum.Failed {
		reasons[filepath.Base(f.Path)] = f.Reason
	}
	for name, c := range cases {
		got, failed := reasons[name]
		switch {
		case c.want == "" && failed:
			t.Errorf("%s failed: %s", name, got)
		case c.want != "" && !failed:
			t.Errorf("%s should fail with %q", name, c.want)
		case c.want != "" && !strings.Contains(strings.ToLower(got), c.want):
			t.Errorf("%s: reason %q, want it to mention %q", name, got, c.want)
		}
	}
	for _, loop := range []string{"loop-a.txt", "loop-b.txt"} {
		if !strings.Contains(reasons[loop], "symlink loop") {
			t.Errorf("%s: reason %q, want a symlink loop", loop, reasons[loop])
		}
	}
	// Reasons are stored on the documents.
	failed, _, err := v.Documents(ctx, store.ListOptions{Status: store.StatusFailed})
	if err != nil || len(failed) < len(sum.Failed)-1 {
		t.Fatalf("failed documents: %d stored for %d failures (%v)", len(failed), len(sum.Failed), err)
	}
	for _, d := range failed {
		if d.Error == "" {
			t.Errorf("failed document %v has no reason", d.Paths)
		}
	}
	for q, want := range map[string]string{"lighthouse": "keeper.txt", "café": "latin1-ok.txt", "neighbour": "good-neighbour.md"} {
		hits := mustSearch(t, v, q)
		if len(hits) == 0 || filepath.Base(hits[0].Path) != want {
			t.Errorf("%s: want a hit in %s, got %+v", q, want, hits)
		}
	}
	if err := v.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestIgnoreRules(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	src := t.TempDir()
	for _, name := range []string{"keep.md", ".hidden.md", ".git/config.txt", "~$draft.docx", "notes.md~", ".#lock.md", "#autosave.md#", "x.swp", "photo.jpg",
		"private/diary.md", "sub/plan.draft.md"} {
		writeFile(t, filepath.Join(src, name), "searchable words here")
	}
	writeFile(t, filepath.Join(src, ".hoardignore"), "private/\n*.draft.md\n")
	sum, err := v.Add(ctx, []string{src}, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != 1 || len(sum.Failed) != 0 {
		t.Fatalf("want only keep.md indexed: %+v", sum)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := testdata.Shared(t, "samples/docs")
	a := openVault(t, Options{})
	if _, err := a.Add(ctx, []string{dir}, AddOptions{Collection: "work"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "vault.hoard")
	n, err := a.Export(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	b := openVault(t, Options{})
	res, err := b.Import(ctx, file)
	if err != nil || res.Added != n {
		t.Fatalf("import: %+v (exported %d): %v", res, n, err)
	}
	for _, q := range []string{"bottles of water", "product development", "Lorem ipsum", "standing trustees", "わたくし", "Hello World"} {
		ha, hb := mustSearch(t, a, q), mustSearch(t, b, q)
		if len(ha) == 0 {
			t.Errorf("%q: no hits in the source vault", q)
		}
		if fmt.Sprint(strip(ha)) != fmt.Sprint(strip(hb)) {
			t.Errorf("%q: results differ after import:\n%v\n%v", q, strip(ha), strip(hb))
		}
	}
	sa, _ := a.Status(ctx)
	sb, _ := b.Status(ctx)
	if sa.Documents != sb.Documents || sa.Chunks != sb.Chunks || sa.Sources != sb.Sources || sa.Failed != sb.Failed {
		t.Fatalf("status differs: %+v vs %+v", sa, sb)
	}
	docs, _, _ := b.Documents(ctx, store.ListOptions{Collection: "work"})
	if len(docs) != sa.Documents {
		t.Fatalf("collection lost in import: %d of %d", len(docs), sa.Documents)
	}
	// Importing again adds nothing.
	res, err = b.Import(ctx, file)
	if err != nil || res.Added != 0 || res.Existing != n {
		t.Fatalf("second import: %+v %v", res, err)
	}
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// strip keeps what must match across vaults (ids differ).
func strip(hits []search.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%.6f|%s", h.Title, h.Path, h.Page, h.Heading, h.Score, h.Snippet))
	}
	return out
}

func TestSearchFilters(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{})
	src := t.TempDir()
	old := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)
	files := []struct {
		name, collection string
		date             time.Time
	}{
		{"work/plan.md", "work", old},
		{"work/notes.txt", "work", time.Now()},
		{"home/recipes.md", "home", time.Now()},
	}
	for _, f := range files {
		p := filepath.Join(src, f.name)
		writeFile(t, p, "# "+f.name+"\n\nThe shared keyword is marmalade.\n")
		os.Chtimes(p, f.date, f.date)
		if _, err := v.Add(ctx, []string{p}, AddOptions{Collection: f.collection}); err != nil {
			t.Fatal(err)
		}
	}
	// A note's own date (front matter) wins over its file's time: saved
	// today, written in 2019.
	diary := filepath.Join(src, "home", "diary.md")
	writeFile(t, diary, "---\ntitle: Diary\ndate: 2019-06-01\n---\n\nThe shared keyword is marmalade.\n")
	if _, err := v.Add(ctx, []string{diary}, AddOptions{Collection: "home"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		filter search.Filter
		want   []string
	}{
		{"none", search.Filter{}, []string{"diary.md", "notes.txt", "plan.md", "recipes.md"}},
		{"collection", search.Filter{Collection: "work"}, []string{"notes.txt", "plan.md"}},
		{"type short", search.Filter{MediaType: "markdown"}, []string{"diary.md", "plan.md", "recipes.md"}},
		{"type full", search.Filter{MediaType: "text/plain"}, []string{"notes.txt"}},
		{"since", search.Filter{Since: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"notes.txt", "recipes.md"}},
		{"until", search.Filter{Until: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"diary.md", "plan.md"}},
		{"the document's own date", search.Filter{Until: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"diary.md"}},
		{"combined", search.Filter{Collection: "home", MediaType: "pdf"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := v.Search(ctx, search.Request{Query: "marmalade", Filter: tc.filter})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, filepath.Base(h.Path))
			}
			sort.Strings(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// The entity index is built at ingest (titles, headings, names, wikilinks)
// and rebuilt on import, and a heading that defines a name is a hop target.
func TestEntityIndexAtIngestAndImport(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "projects.md"), "# Projects\n\n## Project Hail Mary\n\nA lone astronaut wakes up far from Earth with no memory.\n")
	writeFile(t, filepath.Join(src, "reading.md"), "# Reading\n\nFinished [[Project Hail Mary]] on the train; Ryland Grace is the hero.\n")
	v := openVault(t, Options{})
	if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	count := func(v *Vault, kind int) (n int) {
		v.store.DB().QueryRow(`SELECT count(*) FROM entity_refs WHERE kind = ?`, kind).Scan(&n)
		return n
	}
	var defines int
	v.store.DB().QueryRow(`SELECT count(*) FROM entity_refs r JOIN entities e ON e.id = r.entity_id WHERE e.name = 'project hail mary' AND r.kind = 1`).Scan(&defines)
	if defines == 0 || count(v, 2) < 2 {
		t.Fatalf("entity index: heading definitions %d, mentions %d", defines, count(v, 2))
	}
	hits, err := v.Search(ctx, search.Request{Query: "train Ryland Grace", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	hop := false
	for _, h := range hits {
		hop = hop || strings.HasSuffix(h.Path, "projects.md") && strings.Contains(h.Via, "project hail mary")
	}
	if !hop {
		t.Errorf("no hop to the note that defines Project Hail Mary: %+v", hits)
	}
	file := filepath.Join(t.TempDir(), "x.hoard")
	if _, err := v.Export(ctx, file); err != nil {
		t.Fatal(err)
	}
	w := openVault(t, Options{})
	if _, err := w.Import(ctx, file); err != nil {
		t.Fatal(err)
	}
	if count(w, 1) != count(v, 1) || count(w, 2) != count(v, 2) {
		t.Errorf("after import: %d/%d refs, before %d/%d", count(w, 1), count(w, 2), count(v, 1), count(v, 2))
	}
}

// Enqueue counts what it queued, folders walked recursively, so the
// desktop window can say what a drop added; a missing path is a failure.
func TestEnqueueCountsWhatItQueued(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "alpha")
	writeFile(t, filepath.Join(dir, "folder", "b.md"), "# beta")
	writeFile(t, filepath.Join(dir, "folder", "deeper", "c.txt"), "gamma")
	for _, tc := range []struct {
		name   string
		paths  []string
		queued int
		failed int
	}{
		{"one file", []string{filepath.Join(dir, "a.txt")}, 1, 0},
		{"a folder, recursively", []string{filepath.Join(dir, "folder")}, 2, 0},
		{"a file, a folder and a missing path", []string{filepath.Join(dir, "a.txt"), filepath.Join(dir, "folder"), filepath.Join(dir, "gone.txt")}, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := openVault(t, Options{})
			sum, err := v.Enqueue(context.Background(), tc.paths, "")
			if err != nil {
				t.Fatal(err)
			}
			if sum.Queued != tc.queued || len(sum.Failed) != tc.failed {
				t.Errorf("queued %d, failed %v; want %d queued, %d failed", sum.Queued, sum.Failed, tc.queued, tc.failed)
			}
		})
	}
}
