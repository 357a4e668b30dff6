package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/vault"
)

func (s *Server) collections(w http.ResponseWriter, r *http.Request) {
	cs, err := s.v.Collections(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromCollections(cs))
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) {
	var req wire.CollectionRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.v.CreateCollection(r.Context(), req.Name, req.Weight)
	if err != nil {
		s.failInput(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.FromCollection(c))
}

// updateCollection renames a collection and/or sets its weight.
func (s *Server) updateCollection(w http.ResponseWriter, r *http.Request) {
	var req wire.CollectionRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.v.UpdateCollection(r.Context(), r.PathValue("name"), req.Name, req.Weight)
	if err != nil {
		s.failInput(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.FromCollection(c))
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request) {
	if err := s.v.DeleteCollection(r.Context(), r.PathValue("name")); err != nil {
		s.failInput(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// failInput is fail for actions whose other errors are the caller's: a
// name taken, a collection not empty, a weight out of range.
func (s *Server) failInput(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, vault.ErrNotFound), errors.Is(err, vault.ErrReadOnly):
		s.fail(w, r, err)
	case errors.Is(err, vault.ErrCollectionExists), errors.Is(err, vault.ErrCollectionNotEmpty):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.fail(w, r, badRequest("%v", err))
	}
}

// updateDocument moves a document to another collection.
func (s *Server) updateDocument(w http.ResponseWriter, r *http.Request) {
	var req wire.MoveRequest
	id, err := pathID(r)
	if err == nil {
		err = decode(r, &req)
	}
	if err == nil && req.Collection == "" {
		err = badRequest("collection is required")
	}
	if err == nil {
		err = s.v.MoveDocument(r.Context(), id, req.Collection)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.document(w, r)
}

// reindexDocument reads a document's file again; the new document comes
// out of the queue.
func (s *Server) reindexDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.v.ReindexDocument(r.Context(), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.v.Kick()
	writeJSON(w, http.StatusAccepted, wire.Reindexed{Queued: 1})
}

// documentFile sends a document's original file, to show in the browser.
func (s *Server) documentFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, d, err := s.v.SourceFile(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.MediaType != "" {
		w.Header().Set("Content-Type", d.MediaType)
	}
	// The file is shown, never run as a page of this origin.
	w.Header().Set("Content-Security-Policy", "sandbox; frame-ancestors 'none'")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": filepath.Base(p)}))
	http.ServeContent(w, r, filepath.Base(p), fi.ModTime(), f)
}

// pageImage renders one page of a PDF as PNG (?width=, default 900).
func (s *Server) pageImage(w http.ResponseWriter, r *http.Request) {
	id, page, err := pathPage(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	width, err := intParam(r, "width", 900, 2400)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	png, err := s.v.RenderPage(r.Context(), id, page, width)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(png)
}

// pathPage reads a page's document id and its number from the path.
func pathPage(r *http.Request) (int64, int, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, 0, err
	}
	page, err := strconv.Atoi(r.PathValue("page"))
	if err != nil {
		return 0, 0, badRequest("%q is not a page number", r.PathValue("page"))
	}
	return id, page, nil
}

// pageLayout places a PDF page's words (in points) and gives its printed
// label: the viewer's text layer and the cited passage's mark.
func (s *Server) pageLayout(w http.ResponseWriter, r *http.Request) {
	id, page, err := pathPage(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.v.PageLayout(r.Context(), id, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=300")
	writeJSON(w, http.StatusOK, wire.FromPageLayout(l))
}

// openDocument opens a document's file in the system's viewer: only in the
// desktop app, where the viewer is on the user's screen.
func (s *Server) openDocument(w http.ResponseWriter, r *http.Request) {
	if s.opt.Open == nil {
		writeError(w, http.StatusNotImplemented, "opening files in the system viewer is done by the desktop app; the browser shows them itself")
		return
	}
	var req wire.OpenRequest
	id, err := pathID(r)
	if err == nil && r.ContentLength != 0 {
		err = decode(r, &req)
	}
	var p string
	if err == nil {
		p, _, err = s.v.SourceFile(r.Context(), id)
	}
	if err == nil {
		err = s.opt.Open(p, req.Page)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// exportName is an export's file name: the day it was made.
func exportName() string { return "hoard-" + time.Now().Format("2006-01-02") + ".hoard" }

// export sends the whole vault as one export file.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": exportName()}))
	if _, err := s.v.WriteExport(r.Context(), w); err != nil {
		// The status is sent; a cut stream fails the download in the browser.
		s.log.Error("export", "err", err)
	}
}

// saveExport writes the export where the user picks (the desktop app's
// save dialog), since a webview has no downloads.
func (s *Server) saveExport(w http.ResponseWriter, r *http.Request) {
	if s.opt.SaveAs == nil {
		writeError(w, http.StatusNotImplemented, "saving to a chosen file is done by the desktop app; the browser downloads GET /api/export")
		return
	}
	path, err := s.opt.SaveAs(r.Context(), exportName())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if path == "" {
		w.WriteHeader(http.StatusNoContent) // cancelled
		return
	}
	n, err := s.v.Export(r.Context(), path)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Exported{Path: path, Documents: n})
}

// importVault reads an uploaded export file (multipart field "file").
func (s *Server) importVault(w http.ResponseWriter, r *http.Request) {
	path, name, ok := s.receiveFile(w, r, "import", "the export")
	if !ok {
		return
	}
	defer os.Remove(path)
	res, err := s.v.Import(r.Context(), path)
	if errors.Is(err, vault.ErrReadOnly) {
		s.fail(w, r, err)
		return
	}
	if err != nil {
		// Name the file the user sent, not the temporary copy.
		s.fail(w, r, badRequest("%s", strings.ReplaceAll(err.Error(), path, name)))
		return
	}
	if res.Queued > 0 {
		s.v.Kick() // the export's queued documents
	}
	writeJSON(w, http.StatusOK, wire.FromImport(res))
}

// testTranscription transcribes an uploaded recording (multipart field
// "file"), or with ?sample=1 the built-in sample, with the engine in force
// and stores nothing: Settings' Test.
func (s *Server) testTranscription(w http.ResponseWriter, r *http.Request) {
	if sample, _ := strconv.ParseBool(r.URL.Query().Get("sample")); sample {
		res, err := s.v.TestTranscription(r.Context(), "")
		if err != nil {
			s.fail(w, r, badRequest("%v", err))
			return
		}
		writeJSON(w, http.StatusOK, wire.FromTranscriptionTest(res))
		return
	}
	path, name, ok := s.receiveFile(w, r, "transcription test", "a recording")
	if !ok {
		return
	}
	defer os.Remove(path)
	res, err := s.v.TestTranscription(r.Context(), path)
	if err != nil {
		s.fail(w, r, badRequest("%s", strings.ReplaceAll(err.Error(), path, name)))
		return
	}
	writeJSON(w, http.StatusOK, wire.FromTranscriptionTest(res))
}

// receiveFile copies the multipart field "file" into a temporary file
// (removed by the caller) in the vault's folder, or the system's for a
// read-only vault, and returns its path and the name the client gave it;
// on failure it has answered the request.
func (s *Server) receiveFile(w http.ResponseWriter, r *http.Request, op, what string) (path, name string, ok bool) {
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, badRequest("send %s as multipart/form-data: %v", what, err))
		return "", "", false
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.fail(w, r, badRequest("no file in the upload (field \"file\")"))
			return "", "", false
		}
		if err != nil {
			s.failBody(w, fmt.Errorf("%s: %w", op, err))
			return "", "", false
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		dir := s.v.Dir()
		if s.v.ReadOnly() {
			dir = os.TempDir() // an import then fails as any change does
		}
		f, err := receive(dir, part.FileName(), part)
		if err == nil {
			err = bodyEnd(r)
			if err != nil {
				os.Remove(f.tmp)
			}
		}
		if err != nil {
			s.failUpload(w, r, fmt.Errorf("%s: %w", op, err))
			return "", "", false
		}
		return f.tmp, part.FileName(), true
	}
}
