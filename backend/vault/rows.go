package vault

import "github.com/hoardvault/hoard/backend/store"

// The store's rows and errors that the facade's methods hand out, named
// here so that the CLI, the API and the MCP server read them through the
// vault alone. Aliases: they are the store's values, not copies; the API
// turns them into its wire types at its edge.
type (
	DocumentInfo  = store.DocumentInfo
	ListOptions   = store.ListOptions
	Chunk         = store.Chunk
	Section       = store.Section
	Collection    = store.Collection
	Conversation  = store.Conversation
	QueueItem     = store.QueueItem
	QueueStats    = store.QueueStats
	Stats         = store.Stats
	WatchedFolder = store.WatchedFolder
	Gist          = store.Gist
)

// DefaultCollection holds documents added without naming a collection.
const DefaultCollection = store.DefaultCollection

// A document's status.
const (
	StatusIndexed = store.StatusIndexed
	StatusFailed  = store.StatusFailed
	StatusQueued  = store.StatusQueued
)

// The kinds of error callers tell apart (errors.Is): the store's own
// sentinels, so an error from any layer below matches.
var (
	// ErrNotFound: no document, chunk, collection or conversation by that id or name.
	ErrNotFound = store.ErrNotFound
	// ErrReadOnly: the vault was opened read-only.
	ErrReadOnly = store.ErrReadOnly
	// ErrRunning: the queued file is being indexed now.
	ErrRunning = store.ErrRunning
	// ErrBadSort: an unknown sort order for a document list.
	ErrBadSort = store.ErrBadSort
	// ErrCollectionExists: a collection of that name exists.
	ErrCollectionExists = store.ErrCollectionExists
	// ErrCollectionNotEmpty: the collection still holds documents.
	ErrCollectionNotEmpty = store.ErrCollectionNotEmpty
)
