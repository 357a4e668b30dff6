// Package api is Hoard's HTTP API: JSON, plus server-sent events for streamed
// answers. The browser UI (under `hoard serve`), the desktop window (through
// Wails' asset server) and agents (with a bearer token, or over MCP at /mcp)
// all use it; every route goes through the vault facade.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/mcpserver"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// Options configure the API.
type Options struct {
	// Token is required from every client but the desktop window (Trusted);
	// the browser UI gets a session cookie by opening /?token=TOKEN once.
	Token   string
	Trusted bool // the desktop window: requests never leave the process
	// AllowHosts are host names besides loopback the server answers to (when
	// the user makes it listen beyond this machine).
	AllowHosts []string
	// Ask picks how questions are answered (a language model or none).
	Ask func(ctx context.Context) vault.AskOptions
	// UI serves the frontend's files; nil shows a short page instead.
	UI http.Handler
	// Open shows a file at a page in the system's viewer (the desktop app);
	// nil answers that only the desktop app does that.
	Open func(path string, page int) error
	// SaveAs asks where to write a file named name (the desktop app's save
	// dialog); "" means the user cancelled. nil: the browser downloads.
	SaveAs func(ctx context.Context, name string) (string, error)
	// Context is the server's lifetime: it bounds background work (models
	// taken up) and event streams. Default: never ends. Uploads are indexed
	// by the vault's own background indexing, which ends with the vault.
	Context context.Context
	// EventInterval is the least time between two snapshots /api/events
	// sends (200 ms): the vault's change feed says when to make one.
	EventInterval time.Duration
	// Limits bound connections, request bodies, replies and uploads.
	Limits  Limits
	Logger  *slog.Logger
	Version string
}

// Server is the API over one vault.
type Server struct {
	v        *vault.Vault
	opt      Options
	hosts    map[string]bool
	session  string
	log      *slog.Logger
	conns    *connLimit
	hub      hub      // the library's live snapshot, shared by every /api/events stream
	outcomes outcomes // what background indexing did with each file
}

// New builds the API. Without a token and not trusted, one is made; Token
// says which.
func New(v *vault.Vault, opt Options) *Server {
	if opt.Token == "" && !opt.Trusted {
		opt.Token = NewToken()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	opt.Limits = opt.Limits.withDefaults()
	s := &Server{v: v, opt: opt, hosts: map[string]bool{}, session: NewToken(), log: opt.Logger, conns: newConnLimit(opt.Limits.MaxConns)}
	for _, h := range opt.AllowHosts {
		s.hosts[hostOnly(h)] = true
	}
	s.hub.s = s
	v.OnIndexed(s.outcomes.record) // for as long as the vault is open
	s.sweepUploads()
	return s
}

// Token is the bearer token clients must send.
func (s *Server) Token() string { return s.opt.Token }

// Handler routes every request, behind the Host, Origin and token checks.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/status", s.status)
	mux.HandleFunc("GET /api/app", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, wire.App{Desktop: s.opt.Trusted, Version: s.opt.Version})
	})
	mux.HandleFunc("GET /api/openapi.json", s.openAPI)
	mux.HandleFunc("GET /api/documents", s.documents)
	mux.HandleFunc("POST /api/documents", s.upload)
	mux.HandleFunc("GET /api/documents/{id}", s.document)
	mux.HandleFunc("PATCH /api/documents/{id}", s.updateDocument)
	mux.HandleFunc("DELETE /api/documents/{id}", s.deleteDocument)
	mux.HandleFunc("POST /api/documents/{id}/reindex", s.reindexDocument)
	mux.HandleFunc("GET /api/documents/{id}/file", s.documentFile)
	mux.HandleFunc("GET /api/documents/{id}/pages/{page}", s.pageImage)
	mux.HandleFunc("GET /api/documents/{id}/pages/{page}/layout", s.pageLayout)
	mux.HandleFunc("POST /api/documents/{id}/open", s.openDocument)
	mux.HandleFunc("GET /api/collections", s.collections)
	mux.HandleFunc("POST /api/collections", s.createCollection)
	mux.HandleFunc("PATCH /api/collections/{name}", s.updateCollection)
	mux.HandleFunc("DELETE /api/collections/{name}", s.deleteCollection)
	mux.HandleFunc("GET /api/export", s.export)
	mux.HandleFunc("POST /api/export/save", s.saveExport)
	mux.HandleFunc("POST /api/import", s.importVault)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/models", s.models)
	mux.HandleFunc("POST /api/models/{name}/pull", s.pullModel)
	mux.HandleFunc("POST /api/models/{name}/import", s.importModel)
	getLLM, putLLM := secretSettings(s, s.llm, s.setLLM, func(l *wire.LLMSettings) *string { return &l.APIKey })
	mux.HandleFunc("GET /api/llm", getLLM)
	mux.HandleFunc("PUT /api/llm", putLLM)
	mux.HandleFunc("POST /api/llm/test", s.testLLM)
	mux.HandleFunc("GET /api/search", s.search)
	mux.HandleFunc("POST /api/ask", s.ask)
	mux.HandleFunc("GET /api/conversations", s.conversations)
	mux.HandleFunc("GET /api/conversations/{id}", s.conversation)
	mux.HandleFunc("PATCH /api/conversations/{id}", s.renameConversation)
	mux.HandleFunc("DELETE /api/conversations/{id}", s.deleteConversation)
	mux.HandleFunc("GET /api/memories", s.memories)
	mux.HandleFunc("POST /api/memories", s.remember)
	mux.HandleFunc("PUT /api/memories/{id}", s.updateMemory)
	mux.HandleFunc("DELETE /api/memories/{id}", s.forget)
	mux.HandleFunc("GET /api/memory", s.globalMemory)
	mux.HandleFunc("GET /api/queue", s.queue)
	mux.HandleFunc("DELETE /api/queue/{id}", s.cancelQueued)
	mux.HandleFunc("POST /api/queue/outcomes", s.outcomesOf)
	mux.HandleFunc("GET /api/watched", s.watched)
	mux.HandleFunc("POST /api/watched", s.watchFolder)
	mux.HandleFunc("DELETE /api/watched", s.unwatchFolder)
	getTr, putTr := secretSettings(s, s.transcription, s.setTranscription, func(t *wire.TranscriptionSettings) *string { return &t.APIKey })
	mux.HandleFunc("GET /api/transcription", getTr)
	mux.HandleFunc("PUT /api/transcription", putTr)
	mux.HandleFunc("POST /api/transcription/test", s.testTranscription)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API route: "+r.Method+" "+r.URL.Path)
	})
	mcpSrv := mcpserver.New(s.v, mcpserver.Options{Version: s.opt.Version, Ask: s.opt.Ask})
	// Host and Origin are checked by guard, for every route alike.
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpSrv },
		&mcp.StreamableHTTPOptions{DisableLocalhostProtection: true, Logger: s.log}))
	mux.HandleFunc("/", s.ui)
	return s.guard(mux)
}

func (s *Server) ui(w http.ResponseWriter, r *http.Request) {
	if s.signIn(w, r) {
		return
	}
	if s.opt.UI != nil {
		s.opt.UI.ServeHTTP(w, r)
		return
	}
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, `<!doctype html><meta charset="utf-8"><title>Hoard</title>
<p>Hoard's API is running, but this hoard was built without its user interface
(build it with <code>make build</code>, which runs <code>make frontend</code> first).
Clients send <code>Authorization: Bearer TOKEN</code> to <code>/api/…</code>; agents can use MCP at <code>/mcp</code>.</p>`)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, wire.ErrorBody{Error: msg})
}

// fail maps an error to a status: unknown ids are 404, bad input 400.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, vault.ErrNotFound), errors.Is(err, extract.ErrNoPage), errors.Is(err, extract.ErrNotPaged):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, vault.ErrNoSource):
		writeError(w, http.StatusGone, err.Error())
	case errors.Is(err, extract.ErrNoLayout):
		writeError(w, http.StatusNotImplemented, err.Error())
	case errors.Is(err, vault.ErrRunning):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, vault.ErrReadOnly):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, errBadRequest), errors.Is(err, vault.ErrBadSort):
		writeError(w, http.StatusBadRequest, err.Error())
	case r.Context().Err() != nil:
		return // the client went away
	default:
		s.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%q is not an id", r.PathValue("id"))
	}
	return id, nil
}

// intParam reads a query parameter, with a default and an upper bound.
func intParam(r *http.Request, name string, def, maxV int) (int, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, badRequest("%s must be a number ≥ 0", name)
	}
	return min(n, maxV), nil
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(v); err != nil {
		return badRequest("body: %v", err)
	}
	return nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.v.Status(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromStatus(st))
}

// openAPI serves the API's OpenAPI document: the types of every reply and
// request body (the UI's TypeScript types are generated from it).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := wire.OpenAPI()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
}

func (s *Server) paging(r *http.Request) (limit, offset int, err error) {
	if limit, err = intParam(r, "limit", 100, 1000); err != nil {
		return
	}
	offset, err = intParam(r, "offset", 0, 1<<31-1)
	return
}

// documents lists one page of documents: ?collection, ?status, ?q (in the
// title or a path), ?sort (updated, added, title, size, status, type; "-"
// reverses), ?limit, ?offset.
func (s *Server) documents(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := s.paging(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	docs, total, err := s.v.Documents(r.Context(), vault.ListOptions{Collection: q.Get("collection"), Status: q.Get("status"),
		Query: q.Get("q"), Sort: q.Get("sort"), Limit: limit, Offset: offset})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromDocumentPage(docs, total, offset, limit))
}

func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.v.Document(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	chunks, err := s.v.Chunks(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromDetail(d, chunks))
}

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, func(id int64) error { return s.v.Remove(r.Context(), strconv.FormatInt(id, 10)) })
}

// withID runs an action on the id in the path; success is 204 No Content.
func (s *Server) withID(w http.ResponseWriter, r *http.Request, act func(id int64) error) {
	id, err := pathID(r)
	if err == nil {
		err = act(id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// upload stores files sent from the browser (multipart field "file") in the
// vault's uploads folder and indexes them. Each is written under a
// temporary name and named only once the whole body has come: an upload cut
// off or over the limit leaves nothing.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if s.v.ReadOnly() {
		s.fail(w, r, vault.ErrReadOnly)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, badRequest("send files as multipart/form-data: %v", err))
		return
	}
	dir := filepath.Join(s.v.UploadsDir(), time.Now().UTC().Format("2006-01-02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.fail(w, r, err)
		return
	}
	var got []received
	defer func() {
		for _, f := range got {
			os.Remove(f.tmp) // gone already once claimed
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.failBody(w, err)
			return
		}
		name := filepath.Base(filepath.Clean("/" + part.FileName()))
		if part.FormName() != "file" || name == "/" || name == "." {
			part.Close()
			continue
		}
		f, err := receive(dir, name, part)
		part.Close()
		if err != nil {
			s.failUpload(w, r, err)
			return
		}
		got = append(got, f)
	}
	if err := bodyEnd(r); err != nil {
		s.failUpload(w, r, err)
		return
	}
	if len(got) == 0 {
		s.fail(w, r, badRequest("no file in the upload (field \"file\")"))
		return
	}
	var paths []string
	for _, f := range got {
		p, err := claim(dir, f)
		if err != nil {
			for _, p := range paths {
				os.Remove(p)
			}
			s.fail(w, r, err)
			return
		}
		paths = append(paths, p)
	}
	collection := r.URL.Query().Get("collection")
	if wait, _ := strconv.ParseBool(r.URL.Query().Get("wait")); wait {
		sum, err := s.v.Add(r.Context(), paths, vault.AddOptions{Collection: collection})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, wire.FromSummary(sum))
		return
	}
	// The files are queued and indexed in the background; /api/events and
	// /api/queue show their progress.
	sum, err := s.Submit(r.Context(), paths, collection)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, wire.Queued{Queued: paths, Failed: wire.FromFailures(sum.Failed)})
}

// Submit queues files and folders (an upload, or the desktop window's
// native drop); the vault indexes them in the background.
func (s *Server) Submit(ctx context.Context, paths []string, collection string) (vault.Summary, error) {
	return s.v.Enqueue(ctx, paths, collection)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	limit, err := intParam(r, "limit", 20, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hits := []search.Hit{}
	if strings.TrimSpace(q) != "" {
		req := search.Request{Query: q, Limit: limit}
		// group=1: each document once, at its best passage (the UI's view).
		req.Group, _ = strconv.ParseBool(r.URL.Query().Get("group"))
		if c := r.URL.Query().Get("collection"); c != "" {
			req.Filter.Collection = c
		}
		if hits, err = s.v.Search(r.Context(), req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, wire.SearchResult{Query: q, Hits: wire.FromHits(hits)})
}
