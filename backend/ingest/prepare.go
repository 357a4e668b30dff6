package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/chunk"
	"github.com/hoardvault/hoard/backend/derive"
	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/store"
)

// prepared is a job after reading, hashing, extracting and chunking: ready
// for the single writer.
type prepared struct {
	job     job
	src     store.Source
	hash    string
	media   string
	content *store.Content
	note    string
	err     error
	skip    bool // unchanged: nothing to write
	restamp bool // unchanged, but its size or times moved
}

// process runs jobs through extraction on several workers and hands each
// result, in order, to write: the single writer stores documents in
// batches (docBatch), each one transaction, so a crash leaves every
// document either complete or absent.
func (s *Service) process(ctx context.Context, jobs []job, write func(i int, p prepared) error) error {
	workers := s.cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	in := make(chan int)
	out := make([]chan prepared, len(jobs))
	for i := range out {
		out[i] = make(chan prepared, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range in {
				out[i] <- s.prepare(ctx, jobs[i])
			}
		}()
	}
	// The window bounds how far extraction runs ahead of the writer, so memory
	// stays flat however many files a run has.
	window := make(chan struct{}, 2*workers)
	go func() {
		defer close(in)
		for i := range jobs {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case in <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	for i := range jobs {
		var p prepared
		select {
		case p = <-out[i]:
			<-window
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := write(i, p); err != nil {
			return err
		}
	}
	return nil
}

// write stores one prepared job. A failure that may pass (a busy file, an
// unreachable engine) is left for a retry until its attempts run out; one
// that will not is recorded with its reason.
func (s *Service) write(ctx context.Context, w docWriter, p prepared) (Outcome, string, error) {
	if p.skip {
		if p.restamp {
			if err := w.Restamp(ctx, p.src); err != nil {
				return "", "", err
			}
		}
		return OutUnchanged, "", nil
	}
	collection := p.job.collection
	if p.err != nil {
		reason := p.err.Error()
		switch {
		case errors.Is(p.err, errNoSuchFile):
			return OutFailed, reason, nil
		case errors.Is(p.err, ErrNoTranscriber):
			return OutWaiting, reason, nil
		case transient(p.err):
			if p.job.attempts+1 < s.maxAttempts() {
				return OutRetry, reason, nil
			}
			reason = fmt.Sprintf("%s (gave up after %d attempts)", reason, p.job.attempts+1)
		}
		if _, err := w.RecordFailure(ctx, collection, p.src, p.hash, p.media, reason); err != nil {
			return "", "", err
		}
		return OutFailed, reason, nil
	}
	s.act.set(p.job.path, StageIndexing)
	_, out, err := w.Index(ctx, collection, p.src, *p.content)
	if err != nil {
		return "", "", err
	}
	switch out {
	case store.Unchanged:
		return OutUnchanged, p.note, nil
	case store.Linked:
		return OutLinked, p.note, nil
	}
	return OutIndexed, p.note, nil
}

// prepare does everything that needs no lock: read, hash, extract, chunk.
func (s *Service) prepare(ctx context.Context, j job) (p prepared) {
	p.job = j
	p.src = store.Source{Path: j.path}
	defer func() {
		// A parser bug on hostile input fails that file, not the run.
		if r := recover(); r != nil {
			p.err = fmt.Errorf("extractor crashed: %v", r)
			p.content = nil
		}
	}()
	if j.err != nil {
		p.err = j.err
		return p
	}
	s.act.set(j.path, StageExtracting)
	var data []byte
	var name string
	if j.record != nil {
		data = []byte(j.record.Title + "\n\n" + j.record.Text)
		name = j.path
		if fi, err := os.Stat(j.file); err == nil {
			p.src.MTime, p.src.CTime = fi.ModTime().Unix(), changeTime(fi)
		}
	} else {
		var err error
		data, err = s.readFile(ctx, j.file, &p.src)
		if err != nil {
			p.err = err
			return p
		}
		name = j.file
	}
	p.src.Size = int64(len(data))
	sum := sha256.Sum256(data)
	p.hash = hex.EncodeToString(sum[:])
	if st, err := s.st.SourceState(ctx, j.path); err == nil && st.Hash == p.hash && st.Status == store.StatusIndexed {
		p.skip = true
		// Same content under a new stamp (touched, or stored before change
		// times were kept): the stamp is updated so catch-up skips it next.
		p.restamp = st.Size != p.src.Size || st.MTime != p.src.MTime || st.CTime != p.src.CTime
		return p
	}
	if ok, err := s.st.HasIndexedHash(ctx, p.hash); err == nil && ok {
		// Stored under another path (a rename, a move, a copy): link this
		// path to it without reading or embedding it again.
		p.content = &store.Content{Hash: p.hash, Size: p.src.Size, MTime: p.src.MTime}
		return p
	}
	var doc *extract.Document
	var err error
	if j.record != nil {
		doc, err = extract.FromText(j.record.Title, j.record.Text)
		if err == nil && len(j.record.Metadata) > 0 {
			doc.Metadata = j.record.Metadata
		}
	} else if audio.MediaType(name) != "" {
		s.act.set(j.path, StageTranscribing)
		doc, err = s.transcribe(ctx, j.file, func(done, total time.Duration) { s.act.progress(j.path, done, total) })
		if err == nil && doc.Text == "" {
			p.note = "no speech found"
		}
	} else {
		doc, err = s.cfg.Registry.Extract(ctx, name, data)
	}
	if errors.Is(err, extract.ErrNoText) {
		// Indexed, but with nothing to search yet: say why.
		media, _ := extract.Detect(name, data)
		p.note = err.Error()
		doc, err = &extract.Document{MediaType: string(media), Title: baseTitle(name)}, nil
	}
	if err != nil {
		if f, ferr := extract.Detect(name, data); ferr == nil {
			p.media = string(f)
		}
		p.err = err
		return p
	}
	p.media = doc.MediaType
	p.content = Content(doc, p.hash, p.src, p.note, s.cfg.Chunk)
	s.st.Pack(p.content) // here, on a worker, not in the single writer
	return p
}

func baseTitle(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name
}

// Content chunks an extracted document for the store and converts byte
// offsets to character offsets, which is what the stored positions count.
func Content(doc *extract.Document, hash string, src store.Source, note string, opt chunk.Options) *store.Content {
	secs := make([]chunk.Section, len(doc.Sections))
	for i, s := range doc.Sections {
		secs[i] = chunk.Section{Page: s.Page, Heading: s.Heading, Start: s.Start, End: s.End, From: s.From, To: s.To, Speaker: s.Speaker}
		for _, m := range s.Marks {
			secs[i].Marks = append(secs[i].Marks, chunk.Mark{Offset: m.Offset, Start: m.Start, End: m.End})
		}
	}
	chunks := chunk.Split(doc.Text, secs, opt)
	conv := newOffsets(doc.Text)
	c := &store.Content{
		Hash: hash, MediaType: doc.MediaType, Size: src.Size, MTime: src.MTime,
		Title: doc.Title, Metadata: doc.Metadata, Text: doc.Text, Note: note,
	}
	for _, s := range doc.Sections {
		c.Sections = append(c.Sections, store.Section{Page: s.Page, Heading: joinHeading(s.Heading),
			CharStart: conv.char(s.Start), CharEnd: conv.char(s.End)})
	}
	var whole []entity.Ref // the text's entities, when its one chunk is all of it
	for i, ch := range chunks {
		found := entity.Find(doc.Title, ch.Heading, ch.Text)
		if len(chunks) == 1 && ch.Text == doc.Text && joinHeading(ch.Heading) == "" {
			whole = found // no heading defines a name: as found without them
		}
		sc := store.Chunk{Ordinal: i, Text: ch.Text, PageStart: ch.PageStart, PageEnd: ch.PageEnd,
			Heading: joinHeading(ch.Heading), CharStart: conv.char(ch.Start), CharEnd: conv.char(ch.End),
			Entities: entityRefs(found)}
		if ch.To > 0 {
			sc.Time = &store.Span{StartMS: ch.From.Milliseconds(), EndMS: ch.To.Milliseconds()}
			sc.Marks = chunkMarks(doc.Text, ch)
		}
		c.Chunks = append(c.Chunks, sc)
	}
	c.Gist, c.Keyphrases = derive.GistFound(doc.Title, doc.Text, whole)
	return c
}

// chunkMarks turns a chunk's word times into the store's marks, counted in
// characters from the chunk's start (what a hit's text offsets count).
func chunkMarks(text string, ch chunk.Chunk) []store.Mark {
	var out []store.Mark
	pos, chars := ch.Start, 0
	for _, m := range ch.Marks {
		if m.Offset < pos || m.Offset >= ch.End {
			continue // out of order: not citable
		}
		chars += utf8.RuneCountInString(text[pos:m.Offset])
		pos = m.Offset
		out = append(out, store.Mark{Char: chars, MS: m.Start.Milliseconds()})
	}
	return out
}

// offsets converts byte offsets to character (rune) offsets in one pass.
type offsets struct {
	text  string
	bytes int
	chars int
}

func newOffsets(text string) *offsets { return &offsets{text: text} }

// char converts a byte offset; calls must come in non-decreasing order per
// kind, so the converter restarts when asked for an earlier offset.
func (o *offsets) char(b int) int {
	if b < o.bytes {
		o.bytes, o.chars = 0, 0
	}
	for o.bytes < b && o.bytes < len(o.text) {
		_, w := utf8.DecodeRuneInString(o.text[o.bytes:])
		o.bytes += w
		o.chars++
	}
	return o.chars
}

// EntityRefs is what a chunk gives the entity index.
func EntityRefs(title string, headings []string, text string) []store.EntityRef {
	return entityRefs(entity.Find(title, headings, text))
}

func entityRefs(found []entity.Ref) []store.EntityRef {
	out := make([]store.EntityRef, len(found))
	for i, r := range found {
		out[i] = store.EntityRef{Name: r.Name, Kind: r.Kind}
	}
	return out
}

// joinHeading renders a heading path; levels a document skipped are left out.
func joinHeading(path []string) string {
	var parts []string
	for _, h := range path {
		if h != "" {
			parts = append(parts, h)
		}
	}
	return strings.Join(parts, " > ")
}
