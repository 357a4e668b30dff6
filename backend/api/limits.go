package api

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// maxJSON bounds a JSON request body.
const maxJSON = 4 << 20

// Limits bound what one client can hold of the server: connections, and
// the time it takes to send a request or to read a reply. Time the server
// spends working is not counted (an answer or an indexed upload may take
// minutes). Zero fields take DefaultLimits' values.
type Limits struct {
	MaxConns   int           // connections open at once (and one being admitted)
	ReadHeader time.Duration // to send a request's headers
	ReadBody   time.Duration // to send a JSON body, or before the server reads an upload
	BodyStall  time.Duration // the longest pause in an upload's body
	WriteStall time.Duration // the longest a client may leave the reply unread
	Idle       time.Duration // a kept-alive connection's wait for its next request
	MaxUpload  int64         // bytes in one upload request
}

// DefaultLimits suit a server on this machine: a browser opens a handful
// of connections, an agent a few more.
func DefaultLimits() Limits {
	return Limits{MaxConns: 128, ReadHeader: 5 * time.Second, ReadBody: 30 * time.Second, BodyStall: 30 * time.Second,
		WriteStall: 30 * time.Second, Idle: 30 * time.Second, MaxUpload: 1 << 30}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.ReadHeader, d.ReadHeader)
	pick(&l.ReadBody, d.ReadBody)
	pick(&l.BodyStall, d.BodyStall)
	pick(&l.WriteStall, d.WriteStall)
	pick(&l.Idle, d.Idle)
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	if l.MaxUpload <= 0 {
		l.MaxUpload = d.MaxUpload
	}
	return l
}

// HTTPServer serves Handler with the limits; serve it on Listener(ln).
// Bodies and replies are bounded per request (bound), not by the server's
// ReadTimeout and WriteTimeout, which would cut streams and long uploads.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.opt.Limits.ReadHeader,
		IdleTimeout:       s.opt.Limits.Idle,
		ConnState:         s.conns.track,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Listener holds ln to the limits' number of open connections, so that
// clients cannot use up the descriptors the vault needs. Serve
// HTTPServer() on it: the server tells it which connections are serving.
func (s *Server) Listener(ln net.Listener) net.Listener {
	s.conns.Listener = ln
	return s.conns
}

// connLimit holds a listener to max open connections. At the limit a new
// connection takes the place of the oldest one that serves no request
// (connected but silent, or kept alive between requests), so that idle
// connections cannot lock users out; while every one is serving, the new
// one waits to be accepted.
type connLimit struct {
	net.Listener
	max  int
	mu   sync.Mutex
	room *sync.Cond
	open map[net.Conn]*limitedConn
}

type limitedConn struct {
	net.Conn
	l     *connLimit
	busy  bool
	since time.Time
	once  sync.Once
}

func newConnLimit(max int) *connLimit {
	l := &connLimit{max: max, open: map[net.Conn]*limitedConn{}}
	l.room = sync.NewCond(&l.mu)
	return l
}

func (l *connLimit) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.open) >= l.max {
		if old := l.oldestIdle(); old != nil {
			delete(l.open, old)
			old.Conn.Close() // the server sees it end and cleans up
			continue
		}
		l.room.Wait()
	}
	lc := &limitedConn{Conn: c, l: l, since: time.Now()}
	l.open[lc] = lc
	return lc, nil
}

func (l *connLimit) oldestIdle() *limitedConn {
	var old *limitedConn
	for _, c := range l.open {
		if !c.busy && (old == nil || c.since.Before(old.since)) {
			old = c
		}
	}
	return old
}

// track is the server's ConnState: a connection serving a request is not
// taken away.
func (l *connLimit) track(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc := l.open[c]; lc != nil {
		lc.busy = st == http.StateActive || st == http.StateHijacked
		lc.since = time.Now()
	}
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.open, c)
		c.l.mu.Unlock()
		c.l.room.Signal()
	})
	return err
}

// bound gives a request its time limits: its body must come within
// ReadBody (an upload's may take longer as long as it never pauses for
// BodyStall), and no write of the reply may wait on the client longer than
// WriteStall. Where the connection cannot take deadlines (the desktop
// window's asset server) nothing is bounded.
func (s *Server) bound(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	rc := http.NewResponseController(w)
	// A deadline left by the connection's previous request must not cut
	// this one.
	rc.SetWriteDeadline(time.Time{})
	if hasBody(r) {
		rc.SetReadDeadline(time.Now().Add(s.opt.Limits.ReadBody))
		if uploadRoute(r) {
			r.Body = &stallReader{r.Body, stall{rc, s.opt.Limits.BodyStall}}
		}
	}
	return &stallWriter{w, stall{rc, s.opt.Limits.WriteStall}}, r
}

func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// stall is how long a client may keep the server waiting on one read or
// write of its connection.
type stall struct {
	rc *http.ResponseController
	d  time.Duration
}

func (s stall) from(now time.Time) time.Time { return now.Add(s.d) }

// stallReader fails a body that pauses for longer than its stall; at its
// end the deadline goes, so that the work after it is not cut.
type stallReader struct {
	io.ReadCloser
	stall
}

func (b *stallReader) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(b.from(time.Now()))
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// stallWriter fails a write that waits on the client for longer than its
// stall; between writes the handler may work as long as it needs.
type stallWriter struct {
	http.ResponseWriter
	stall
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(w.from(time.Now()))
	return w.ResponseWriter.Write(p)
}

func (w *stallWriter) FlushError() error {
	w.rc.SetWriteDeadline(w.from(time.Now()))
	return w.rc.Flush()
}

// Flush serves handlers that look for http.Flusher (server-sent events).
func (w *stallWriter) Flush() { w.FlushError() }

func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// uploadRoute: the routes that take files (multipart/form-data); every
// other body is JSON.
func uploadRoute(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch r.URL.Path {
	case "/api/documents", "/api/import", "/api/transcription/test":
		return true
	}
	return false
}

// checkBody refuses a body of the wrong kind (415) or size (413) and
// bounds the time to send it; on false it has answered. JSON routes insist
// on application/json because text/plain and forms are what a page of
// another site can send without the browser asking first.
func (s *Server) checkBody(w http.ResponseWriter, r *http.Request) bool {
	if !hasBody(r) {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if uploadRoute(r) {
		if mt != "multipart/form-data" {
			writeError(w, http.StatusUnsupportedMediaType, "send files as multipart/form-data (field \"file\")")
			return false
		}
		if r.ContentLength > s.opt.Limits.MaxUpload {
			s.failBody(w, &http.MaxBytesError{Limit: s.opt.Limits.MaxUpload})
			return false
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.Limits.MaxUpload)
		return true
	}
	if mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send JSON with Content-Type: application/json")
		return false
	}
	// Read here, within the time allowed, so that a handler that streams
	// for long (an answer) holds no read deadline.
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSON))
	if err != nil {
		s.failBody(w, err)
		return false
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(b))
	return true
}

// failBody answers a body that could not be read: too large (413), too
// slow (408), or cut off by the client (400).
func (s *Server) failBody(w http.ResponseWriter, err error) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "the request is over the limit of "+byteSize(tooLarge.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestTimeout, "the request's body came too slowly")
	default:
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusBadRequest, "the request's body could not be read: "+err.Error())
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
