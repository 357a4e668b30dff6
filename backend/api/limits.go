package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
)

// maxJSON bounds a JSON request body.
const maxJSON = 4 << 20

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
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if uploadRoute(r) {
		if mt != "multipart/form-data" {
			writeError(w, http.StatusUnsupportedMediaType, "send files as multipart/form-data (field \"file\")")
			return false
		}
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
		writeError(w, http.StatusBadRequest, "the request's body was cut off: "+err.Error())
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
