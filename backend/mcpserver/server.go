// Package mcpserver exposes the vault to AI agents over the Model Context
// Protocol (github.com/modelcontextprotocol/go-sdk): tools to search, ask,
// add a note, list sources and read a document. The same server runs over
// stdio (`hoard mcp`) and streamable HTTP (under `hoard serve`).
package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// Options configure the server.
type Options struct {
	Version string
	// Ask picks how questions are answered (a language model or none).
	Ask func(ctx context.Context) vault.AskOptions
}

// SearchIn is the search tool's input.
type SearchIn struct {
	Query string `json:"query" jsonschema:"what to look for: words, a phrase in quotes, or a question"`
	Limit int    `json:"limit,omitempty" jsonschema:"how many passages (default 10, at most 50)"`
}

// SearchOut is the search tool's output: the hits as GET /api/search and
// `hoard search --json` give them.
type SearchOut struct {
	Results []wire.Hit `json:"results"`
}

// AskIn is the ask tool's input.
type AskIn struct {
	Question string `json:"question" jsonschema:"a question to answer from the vault"`
}

// NoteIn is the add_note tool's input.
type NoteIn struct {
	Text  string `json:"text" jsonschema:"the note to remember"`
	Title string `json:"title,omitempty" jsonschema:"a short title (default: its first words)"`
}

// NoteOut is the add_note tool's output.
type NoteOut struct {
	DocID int64 `json:"doc_id"`
}

// ListIn is the list_sources tool's input.
type ListIn struct {
	Limit      int    `json:"limit,omitempty" jsonschema:"how many (default 50, at most 500)"`
	Offset     int    `json:"offset,omitempty" jsonschema:"skip this many (paging)"`
	Collection string `json:"collection,omitempty" jsonschema:"only this collection"`
}

// Source is a document as listed.
type Source struct {
	DocID      int64    `json:"doc_id"`
	Title      string   `json:"title"`
	Paths      []string `json:"paths"`
	Collection string   `json:"collection"`
	MediaType  string   `json:"media_type"`
	Status     string   `json:"status"`
	Pages      int      `json:"pages,omitempty"`
}

// ListOut is the list_sources tool's output.
type ListOut struct {
	Total   int      `json:"total"`
	Sources []Source `json:"sources"`
}

// GetIn is the get_document tool's input.
type GetIn struct {
	DocID    int64 `json:"doc_id" jsonschema:"the document's id, from search or list_sources"`
	Offset   int   `json:"offset,omitempty" jsonschema:"the character to start from (default 0): a part's next_offset reads the next part"`
	MaxChars int   `json:"max_chars,omitempty" jsonschema:"how many characters at most (default 20000, at most 100000)"`
	Page     int   `json:"page,omitempty" jsonschema:"read this page of a paged document (PDF, Word) instead of from offset"`
}

// Section is a stretch of a document with where it is.
type Section struct {
	Page    int    `json:"page,omitempty"`
	Heading string `json:"heading,omitempty"`
	Text    string `json:"text"`
}

// GetOut is the get_document tool's output: one part of the document.
type GetOut struct {
	Source
	TotalChars int `json:"total_chars" jsonschema:"the document's length in characters"`
	Offset     int `json:"offset" jsonschema:"the first character of this part"`
	End        int `json:"end" jsonschema:"one past the last character of this part"`
	NextOffset int `json:"next_offset,omitempty" jsonschema:"where the next part starts; absent when this part ends the document"`
	// Next says in words how to read on.
	Next     string    `json:"next,omitempty" jsonschema:"how to read the next part"`
	Sections []Section `json:"sections"`
}

// New builds the MCP server over a vault.
func New(v *vault.Vault, opt Options) *mcp.Server {
	if opt.Version == "" {
		opt.Version = "dev"
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "hoard", Title: "Hoard knowledge vault", Version: opt.Version}, &mcp.ServerOptions{
		Instructions: "Hoard is the user's local knowledge vault. Use search to find passages (cite title and page), " +
			"ask for a cited answer, add_note to remember something for the user.",
	})
	mcp.AddTool(s, &mcp.Tool{Name: "search", Description: "Search the user's documents; returns passages with title, path and page (and, for a recording, the moment the words are spoken)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in SearchIn) (*mcp.CallToolResult, SearchOut, error) {
			if strings.TrimSpace(in.Query) == "" {
				return nil, SearchOut{}, fmt.Errorf("query is empty")
			}
			limit := in.Limit
			if limit <= 0 {
				limit = 10
			}
			hits, err := v.Search(ctx, search.Request{Query: in.Query, Limit: min(limit, 50)})
			if err != nil {
				return nil, SearchOut{}, err
			}
			return nil, SearchOut{Results: wire.FromHits(hits)}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "ask", Description: "Answer a question from the user's documents, with numbered citations."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in AskIn) (*mcp.CallToolResult, wire.Answer, error) {
			if strings.TrimSpace(in.Question) == "" {
				return nil, wire.Answer{}, fmt.Errorf("question is empty")
			}
			var ao vault.AskOptions
			if opt.Ask != nil {
				ao = opt.Ask(ctx)
			}
			a, err := v.Ask(ctx, in.Question, ao)
			return nil, wire.FromAnswer(a), err
		})
	mcp.AddTool(s, &mcp.Tool{Name: "add_note", Description: "Remember a note for the user (stored in the vault's memories, searchable at once)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in NoteIn) (*mcp.CallToolResult, NoteOut, error) {
			id, err := v.Remember(ctx, in.Title, in.Text)
			return nil, NoteOut{DocID: id}, err
		})
	mcp.AddTool(s, &mcp.Tool{Name: "list_sources", Description: "List the documents in the vault, newest first."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in ListIn) (*mcp.CallToolResult, ListOut, error) {
			limit := in.Limit
			if limit <= 0 {
				limit = 50
			}
			docs, total, err := v.Documents(ctx, vault.ListOptions{Collection: in.Collection, Limit: min(limit, 500), Offset: in.Offset})
			if err != nil {
				return nil, ListOut{}, err
			}
			out := ListOut{Total: total, Sources: []Source{}}
			for _, d := range docs {
				out.Sources = append(out.Sources, source(d))
			}
			return nil, out, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "get_document", Description: "Read a document: its sources and its text by page and heading, a part at a time (about 20000 characters; next_offset continues), or one page."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in GetIn) (*mcp.CallToolResult, GetOut, error) {
			d, err := v.Document(ctx, in.DocID)
			if err != nil {
				return nil, GetOut{}, err
			}
			text, secs, err := v.Text(ctx, in.DocID)
			if err != nil {
				return nil, GetOut{}, err
			}
			out, err := part(d, text, secs, in)
			return nil, out, err
		})
	return s
}

func source(d vault.DocumentInfo) Source {
	return Source{DocID: d.ID, Title: d.Title, Paths: d.Paths, Collection: d.Collection, MediaType: d.MediaType, Status: d.Status, Pages: d.Pages}
}
