package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/net/html"

	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
)

// A documentation folder with a back-of-the-book index (DocBook's
// bookindex.html, as Debian's postgresql-doc-15 ships the PostgreSQL
// manual) is a retrieval benchmark nobody here wrote: an index term is a
// query, and the pages its entry links to are relevant. The folder itself
// is the corpus, ingested as a user's folder.
//
// The selection rule, deterministic: a top-level entry's term is a query
// when it reads as a concept a person would type, that is 2 to 4 words of
// lower-case letters (hyphens allowed), so identifiers (pg_dump,
// CREATE TABLE, functions with parentheses) and proper names stay out, as
// do settings looked up by name ("fsync configuration parameter",
// "fillfactor storage parameter"); its own links (not its sub-entries')
// name 1 to 10 distinct pages.
const bookIndex = "bookindex.html"

var conceptTerm = regexp.MustCompile(`^[a-z]+(?:-[a-z]+)*(?: [a-z]+(?:-[a-z]+)*){1,3}$`)

// loadBookIndex reads the judgments from dir/bookindex.html.
func loadBookIndex(dir string) (*Dataset, error) {
	f, err := os.Open(filepath.Join(dir, bookIndex))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bookIndex, err)
	}
	ds := &Dataset{Name: docsName(dir), Corpus: dir, Pages: true, Qrels: map[string]map[string]int{}}
	seen := map[string]bool{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "dt" && strings.HasPrefix(attr(n, "id"), "ientry-") {
			term, pages := indexEntry(n)
			setting := strings.HasSuffix(term, " configuration parameter") || strings.HasSuffix(term, " storage parameter")
			if conceptTerm.MatchString(term) && !setting && len(pages) >= 1 && len(pages) <= 10 && !seen[term] {
				seen[term] = true
				id := fmt.Sprintf("q%d", len(ds.Queries)+1)
				ds.Queries = append(ds.Queries, Query{ID: id, Text: term})
				ds.Qrels[id] = map[string]int{}
				for _, p := range pages {
					ds.Qrels[id][p] = 1
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(ds.Queries) == 0 {
		return nil, fmt.Errorf("%s: no index entries match the selection rule", filepath.Join(dir, bookIndex))
	}
	return ds, nil
}

// docsName names the set after its package folder (postgresql-doc-15/html
// is "postgresql-doc-15").
func docsName(dir string) string {
	abs, _ := filepath.Abs(dir)
	if filepath.Base(abs) == "html" {
		return filepath.Base(filepath.Dir(abs))
	}
	return filepath.Base(abs)
}

// indexEntry is an entry's term (its text before the first link) and the
// distinct pages its own links point at.
func indexEntry(dt *html.Node) (string, []string) {
	var term strings.Builder
	var pages []string
	seen := map[string]bool{}
	inTerm := true
	for c := dt.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && inTerm:
			term.WriteString(c.Data)
		case c.Type == html.ElementNode && c.Data == "a":
			inTerm = false
			page, _, _ := strings.Cut(attr(c, "href"), "#")
			if page != "" && page != bookIndex && !seen[page] {
				seen[page] = true
				pages = append(pages, page)
			}
		case c.Type == html.ElementNode:
			inTerm = false // markup in the term (an identifier): not a concept
			term.WriteString("\x00")
		}
	}
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(term.String()), ","))
	return strings.Join(strings.Fields(t), " "), pages
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// NaiveFTS5 is the baseline the real-documents target is measured against:
// each page's text as Hoard extracted it, whole, in a plain FTS5 table
// (its default unicode61 tokenizer, no stemming, no field weights), the
// query's words OR-ed and ranked by FTS5's bm25().
func NaiveFTS5(ctx context.Context, v *vault.Vault, ds *Dataset) (RetrievalReport, error) {
	r := RetrievalReport{Dataset: ds.Name, Config: "naive FTS5 BM25", Stages: []string{"naive-fts5"}}
	naive, err := store.OpenNaiveBM25(ctx, "")
	if err != nil {
		return r, err
	}
	defer naive.Close()
	docs, _, err := v.Documents(ctx, store.ListOptions{})
	if err != nil {
		return r, err
	}
	for _, d := range docs {
		chunks, err := v.Chunks(ctx, d.ID)
		if err != nil {
			return r, err
		}
		texts := make([]string, len(chunks))
		for i, c := range chunks {
			texts[i] = c.Text
		}
		// Title and text in two columns of equal weight: bm25() counts a
		// row's words over both, as over the one page they make.
		body := strings.Join(texts, "\n")
		for _, p := range d.Paths {
			if err := naive.Add(ctx, ds.docID(p, ""), d.Title, body); err != nil {
				return r, err
			}
		}
	}
	if err := naive.Commit(ctx); err != nil {
		return r, err
	}
	r.Docs = len(docs)
	var sum RetrievalReport
	for _, q := range ds.Queries {
		ranked, err := naive.Search(ctx, naiveWords(q.Text), 100)
		if err != nil {
			return r, fmt.Errorf("naive query %q: %w", q.Text, err)
		}
		add(&sum, Score(ranked, ds.Qrels[q.ID]))
	}
	average(&r, sum, len(ds.Queries))
	return r, nil
}

// docID names a hit as the judgments do: a page's path inside the docs
// folder, or a corpus record's id.
func (d *Dataset) docID(path, corpusPrefix string) string {
	if d.Pages {
		if rel, err := filepath.Rel(d.absCorpus(), path); err == nil {
			return filepath.ToSlash(rel)
		}
		return path
	}
	return strings.TrimPrefix(path, corpusPrefix)
}

func (d *Dataset) absCorpus() string {
	abs, err := filepath.Abs(d.Corpus)
	if err != nil {
		return d.Corpus
	}
	return abs
}

func add(sum *RetrievalReport, m RetrievalReport) {
	sum.NDCG10 += m.NDCG10
	sum.Recall2 += m.Recall2
	sum.Recall5 += m.Recall5
	sum.Recall10 += m.Recall10
	sum.Recall100 += m.Recall100
	sum.MRR10 += m.MRR10
	sum.MRR3 += m.MRR3
	sum.Hit1 += m.Hit1
	sum.Hit3 += m.Hit3
}

func average(r *RetrievalReport, sum RetrievalReport, n int) {
	if n == 0 {
		return
	}
	f := float64(n)
	r.Queries = n
	r.NDCG10, r.Recall2, r.Recall5, r.Recall10, r.Recall100 = sum.NDCG10/f, sum.Recall2/f, sum.Recall5/f, sum.Recall10/f, sum.Recall100/f
	r.MRR10, r.MRR3, r.Hit1, r.Hit3 = sum.MRR10/f, sum.MRR3/f, sum.Hit1/f, sum.Hit3/f
}
