// Package wire holds the JSON shapes Hoard's clients read and send: the
// HTTP API's requests and replies, `hoard ... --json` and the MCP server's
// structured results. They are the contract, owned here and converted from
// the vault's values at the edge, so a change to a storage row does not
// change what a client sees. The UI's TypeScript types are generated from
// them (OpenAPI builds the document; `make types` writes frontend/src/lib).
//
// Tags: json names the field; jsonschema describes it (in the OpenAPI
// document, the generated TypeScript and the MCP tools' schemas); enum
// lists the only values a string field takes.
package wire

import "time"

// TimeSpan is a stretch of a recording in milliseconds from its start.
type TimeSpan struct {
	StartMS int64 `json:"start_ms"`
	EndMS   int64 `json:"end_ms"`
}

// Hit is one search result, the same for GET /api/search, `hoard search
// --json` and the MCP search tool.
type Hit struct {
	ChunkID    int64     `json:"chunk_id"`
	DocID      int64     `json:"doc_id"`
	Title      string    `json:"title"`
	Path       string    `json:"path"`
	Page       int       `json:"page" jsonschema:"the page the passage starts on; 0 when the document has no pages"`
	PageEnd    int       `json:"page_end" jsonschema:"the last page the passage runs onto"`
	Pages      string    `json:"pages,omitempty" jsonschema:"how to cite the page or pages, e.g. pp. 51–52"`
	Heading    string    `json:"heading"`
	Snippet    string    `json:"snippet" jsonschema:"the passage's best lines, HTML-escaped, matches in <mark>"`
	Text       string    `json:"text"`
	Score      float64   `json:"score" jsonschema:"higher is better"`
	Collection string    `json:"collection"`
	MediaType  string    `json:"media_type"`
	Via        string    `json:"via,omitempty" jsonschema:"the bridge a multi-hop hit was found through"`
	Context    string    `json:"context,omitempty" jsonschema:"neighbouring text, when asked for"`
	More       int       `json:"more,omitempty" jsonschema:"grouped hits: how many more of this document's passages matched"`
	At         string    `json:"at,omitempty" jsonschema:"for a recording: when the matched words are spoken (MM:SS), to cite with the path"`
	AtSeconds  float64   `json:"at_seconds,omitempty" jsonschema:"for a recording: when the matched words are spoken, in seconds from its start"`
	Time       *TimeSpan `json:"time,omitempty" jsonschema:"for a recording: start_ms is the cited moment, end_ms the passage's end"`
	Passage    *TimeSpan `json:"passage,omitempty" jsonschema:"for a recording: the passage's whole span"`
}

// SearchResult is GET /api/search's reply.
type SearchResult struct {
	Query string `json:"query"`
	Hits  []Hit  `json:"hits"`
}

// DocumentInfo is a document as listed.
type DocumentInfo struct {
	ID         int64          `json:"id"`
	Collection string         `json:"collection"`
	Title      string         `json:"title"`
	Paths      []string       `json:"paths"`
	MediaType  string         `json:"media_type"`
	Size       int64          `json:"size"`
	MTime      int64          `json:"mtime"`
	Hash       string         `json:"hash"`
	Status     string         `json:"status" enum:"indexed,failed,queued"`
	Error      string         `json:"error,omitempty"`
	Chunks     int            `json:"chunks"`
	Pages      int            `json:"pages"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	CreatedAt  int64          `json:"created_at"`
	UpdatedAt  int64          `json:"updated_at"`
}

// Chunk is one of a document's passages.
type Chunk struct {
	ID        int64      `json:"id,omitempty"`
	Ordinal   int        `json:"ordinal"`
	Text      string     `json:"text"`
	PageStart int        `json:"page_start"`
	PageEnd   int        `json:"page_end"`
	Heading   string     `json:"heading"`
	CharStart int        `json:"char_start"`
	CharEnd   int        `json:"char_end"`
	Time      *TimeSpan  `json:"time,omitempty" jsonschema:"where a transcript passage was spoken"`
	Marks     [][2]int64 `json:"marks,omitempty" jsonschema:"when a transcript's words are spoken: [character, ms] pairs in text order"`
}

// DocumentDetail is a document with its passages (GET and PATCH
// /api/documents/{id}); chunks replaces the count.
type DocumentDetail struct {
	DocumentInfo
	Chunks []Chunk `json:"chunks"`
}

// Page is one page of a list.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// Items is a list in an object.
type Items[T any] struct {
	Items []T `json:"items"`
}

// Collection is a named group of documents with a search weight.
type Collection struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Weight    float64 `json:"weight"`
	Documents int     `json:"documents"`
	CreatedAt int64   `json:"created_at"`
}

// QueueItem is one queued file and, while it is worked on, its stage.
type QueueItem struct {
	ID         int64          `json:"id"`
	Path       string         `json:"path"`
	Op         string         `json:"op" enum:"index,remove"`
	Collection string         `json:"collection,omitempty"`
	State      string         `json:"state" enum:"pending,running,waiting"`
	Attempts   int            `json:"attempts"`
	NotBefore  time.Time      `json:"not_before,omitzero" jsonschema:"a retry waits until then"`
	Reason     string         `json:"reason,omitempty"`
	AddedAt    time.Time      `json:"added_at"`
	Stage      string         `json:"stage,omitempty" enum:"extracting,transcribing,indexing"`
	Progress   *MediaProgress `json:"progress,omitempty" jsonschema:"while a recording is transcribed: how much of it is done"`
}

// MediaProgress is done of total, in milliseconds of a recording.
type MediaProgress struct {
	DoneMS  int64 `json:"done_ms"`
	TotalMS int64 `json:"total_ms"`
}

// QueueStats counts the queue by state; retrying are pending rows waiting
// out a backoff.
type QueueStats struct {
	Pending  int `json:"pending"`
	Running  int `json:"running"`
	Waiting  int `json:"waiting"`
	Retrying int `json:"retrying"`
}

// Queue is the indexing queue: its counts and a page of its rows.
type Queue struct {
	QueueStats
	Items []QueueItem `json:"items"`
}

// Failure is a file that could not be indexed (or waits), and why.
type Failure struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Summary totals an indexing run (POST /api/documents?wait=1, `hoard add
// --json`).
type Summary struct {
	Indexed   int       `json:"indexed"`
	Unchanged int       `json:"unchanged"`
	Linked    int       `json:"linked" jsonschema:"files whose content was already stored under another path"`
	Failed    []Failure `json:"failed"`
	Removed   int       `json:"removed,omitempty"`
	Retrying  []Failure `json:"retrying,omitempty" jsonschema:"left in the queue for another attempt"`
	Waiting   []Failure `json:"waiting,omitempty" jsonschema:"left in the queue until a transcription engine is set up"`
	Skipped   int       `json:"skipped" jsonschema:"files a folder walk passed over"`
	Chunks    int       `json:"chunks"`
	Queued    int       `json:"queued,omitempty"`
	Embedded  int       `json:"embedded,omitempty" jsonschema:"chunks given vectors"`
	Warnings  []string  `json:"warnings,omitempty"`
}

// Queued answers an upload that is indexed in the background.
type Queued struct {
	Queued []string  `json:"queued"`
	Failed []Failure `json:"failed"`
}

// Outcome is what became of one queued file; "pending": the queue has not
// finished with it (or this server never had it).
type Outcome struct {
	Path    string `json:"path"`
	Outcome string `json:"outcome" enum:"indexed,unchanged,linked,failed,retrying,waiting,removed,pending"`
	Reason  string `json:"reason,omitempty"`
}

// OutcomesRequest is the body of POST /api/queue/outcomes.
type OutcomesRequest struct {
	Paths []string `json:"paths"`
}

// Reindexed answers POST /api/documents/{id}/reindex.
type Reindexed struct {
	Queued int `json:"queued"`
}

// Citation is a passage an answer cites as [n].
type Citation struct {
	N       int       `json:"n" jsonschema:"the [n] marker in the answer"`
	DocID   int64     `json:"doc_id"`
	ChunkID int64     `json:"chunk_id"`
	Title   string    `json:"title"`
	Path    string    `json:"path"`
	Page    int       `json:"page"`
	PageEnd int       `json:"page_end" jsonschema:"the last page the passage runs onto"`
	Time    *TimeSpan `json:"time,omitempty" jsonschema:"where a cited transcript passage was spoken"`
	Text    string    `json:"text"`
}

// Step is one entry of an answer's trace: how it was made.
type Step struct {
	Step   string `json:"step"`
	Detail string `json:"detail"`
}

// Answer is POST /api/ask's reply (and its stream's "answer" event), `hoard
// ask --json` and the MCP ask tool's result.
type Answer struct {
	Answer       string     `json:"answer"`
	Query        string     `json:"query,omitempty" jsonschema:"the question as understood (a follow-up resolved)"`
	Citations    []Citation `json:"citations"`
	Trace        []Step     `json:"trace"`
	Extractive   bool       `json:"extractive"`
	NotInVault   bool       `json:"not_in_vault,omitempty" jsonschema:"the passages do not answer the question; sources are the nearest"`
	Uncited      bool       `json:"uncited,omitempty" jsonschema:"a generated answer that cites none of its passages; sources are those passages"`
	Sources      []Citation `json:"sources,omitempty"`
	Removed      []int      `json:"removed_citations,omitempty" jsonschema:"markers for passages the model was not given, taken out"`
	LeftOut      []Citation `json:"left_out,omitempty" jsonschema:"passages that did not fit the model's context"`
	Conversation int64      `json:"conversation_id,omitempty" jsonschema:"where the exchange was stored"`
}

// AskRequest is the body of POST /api/ask.
type AskRequest struct {
	Question string `json:"question"`
	// Conversation continues a conversation; 0 with NewConversation starts
	// one (the reply says its id); 0 alone answers without storing.
	Conversation    int64 `json:"conversation_id"`
	NewConversation bool  `json:"new_conversation"`
	Stream          bool  `json:"stream"`
}

// Delta is a piece of an answer as it is written (the "delta" event).
type Delta struct {
	Text string `json:"text"`
}

// Conversation is a stored conversation as listed.
type Conversation struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Messages  int    `json:"messages"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// ChatMessage is a stored message as shown to the user.
type ChatMessage struct {
	ID        int64      `json:"id"`
	Role      string     `json:"role" enum:"user,assistant"`
	Content   string     `json:"content"`
	Query     string     `json:"query,omitempty" jsonschema:"what a user turn was resolved to"`
	Citations []Citation `json:"citations,omitempty"`
	Trace     []Step     `json:"trace,omitempty"`
	CreatedAt int64      `json:"created_at"`
}

// ConversationDetail is a conversation with its messages, which replace
// the count.
type ConversationDetail struct {
	Conversation
	Messages []ChatMessage `json:"messages"`
}

// Rename is the body of PATCH /api/conversations/{id}.
type Rename struct {
	Title string `json:"title"`
}

// Note is the body of POST /api/memories and PUT /api/memories/{id}.
type Note struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Created answers a POST that made something with an id.
type Created struct {
	ID int64 `json:"id"`
}

// Gist is a document's entry in the global memory.
type Gist struct {
	DocumentID int64  `json:"doc_id"`
	Title      string `json:"title"`
	Gist       string `json:"gist"`
	Keyphrases string `json:"keyphrases" jsonschema:"comma-separated"`
	ByLLM      bool   `json:"by_llm"`
}

// GlobalMemory is the vault-level memory: what the vault is about.
type GlobalMemory struct {
	Overview   string   `json:"overview"`
	Documents  int      `json:"documents"`
	ByLLM      int      `json:"gists_by_llm"`
	Keyphrases []string `json:"keyphrases" jsonschema:"the vault's most common topics"`
	Facts      int      `json:"facts"`
	Unread     int      `json:"passages_unread" jsonschema:"passages no model has read facts from"`
	Gists      []Gist   `json:"gists,omitempty"`
}

// CollectionRequest is the body of POST /api/collections and PATCH
// /api/collections/{name} (a new name, a weight, or both).
type CollectionRequest struct {
	Name   string  `json:"name,omitempty"`
	Weight float64 `json:"weight,omitempty"`
}

// MoveRequest is the body of PATCH /api/documents/{id}.
type MoveRequest struct {
	Collection string `json:"collection"`
}

// OpenRequest is the body of POST /api/documents/{id}/open.
type OpenRequest struct {
	Page int `json:"page,omitempty"`
}

// WatchedFolder is a folder Hoard keeps in step with the vault.
type WatchedFolder struct {
	Path       string    `json:"path"`
	Collection string    `json:"collection,omitempty"`
	AddedAt    time.Time `json:"added_at"`
}

// WatchRequest is the body of POST /api/watched.
type WatchRequest struct {
	Path       string `json:"path"`
	Collection string `json:"collection,omitempty"`
}

// Watching answers POST /api/watched: the folder as it is kept.
type Watching struct {
	Path string `json:"path"`
}

// WatchStatus is what the background watch is doing.
type WatchStatus struct {
	Running  bool      `json:"running"`
	Retrying bool      `json:"retrying,omitempty"`
	Message  string    `json:"message,omitempty" jsonschema:"why and when it tries again, e.g. retrying in 4s: database is locked"`
	RetryAt  time.Time `json:"retry_at,omitzero"`
	Failures int       `json:"failures,omitempty" jsonschema:"failures in a row since the watch last ran cleanly"`
	Pid      int       `json:"pid,omitempty" jsonschema:"the process watching, when it is another one"`
}

// Embedding counts passages with and without vectors.
type Embedding struct {
	Done    int `json:"done"`
	Pending int `json:"pending"`
}

// Snapshot is what the library shows live (GET /api/events, event
// "status"): the counts and the first rows of the queue. Seq grows whenever
// anything in it changed, so a client knows to reload the page of
// documents it shows.
type Snapshot struct {
	Seq       int         `json:"seq"`
	Documents int         `json:"documents"`
	Indexed   int         `json:"indexed"`
	Failed    int         `json:"failed"`
	Chunks    int         `json:"chunks"`
	Bytes     int64       `json:"bytes"`
	Queue     Queue       `json:"queue"`
	Embedding Embedding   `json:"embedding"`
	Watch     WatchStatus `json:"watch" jsonschema:"the background watch's state: retrying, and why, when the database is locked or the disk full"`
}

// Stats are vault-wide figures.
type Stats struct {
	Documents int   `json:"documents"`
	Indexed   int   `json:"indexed"`
	Failed    int   `json:"failed"`
	Queued    int   `json:"queued"`
	Chunks    int   `json:"chunks"`
	Sources   int   `json:"sources"`
	Bytes     int64 `json:"bytes"`
}

// NeuralStatus says which models the vault uses.
type NeuralStatus struct {
	Embedder      string   `json:"embedder,omitempty"`
	Reranker      bool     `json:"reranker"`
	Device        string   `json:"device,omitempty"`
	Runtime       string   `json:"onnxruntime,omitempty"`
	VectorModel   string   `json:"vector_model,omitempty"`
	VectorForms   []string `json:"vector_forms,omitempty"`
	Dims          int      `json:"dims,omitempty"`
	Embedded      int      `json:"embedded_chunks"`
	Pending       int      `json:"pending_chunks"`
	VectorBytes   int      `json:"vector_bytes_per_chunk"`
	HybridActive  bool     `json:"hybrid"`
	TextBytes     float64  `json:"text_bytes_per_chunk"`
	IndexBytes    float64  `json:"index_bytes_per_chunk"`
	Note          string   `json:"note,omitempty"`
	SwitchTo      string   `json:"switch_to,omitempty" jsonschema:"the model whose vectors are being made beside the vault's"`
	SwitchDone    int      `json:"switch_done,omitempty"`
	SwitchPending int      `json:"switch_pending,omitempty"`
}

// TranscriptionStatus says how voice notes are transcribed.
type TranscriptionStatus struct {
	Engine string `json:"engine,omitempty" enum:"whisper.cpp,server"`
	Model  string `json:"model,omitempty"`
	URL    string `json:"url,omitempty"`
	Built  bool   `json:"whisper_built" jsonschema:"this hoard carries the in-process whisper.cpp engine"`
	Note   string `json:"note,omitempty" jsonschema:"why there is no engine, or why it cannot run"`
}

// ChatStatus says whether Hoard's built-in runner can answer questions,
// and with which model.
type ChatStatus struct {
	Available bool   `json:"available"`
	Runner    string `json:"runner,omitempty" jsonschema:"llama-server's path"`
	Model     string `json:"model,omitempty" jsonschema:"the installed chat model it would use"`
	Suggested string `json:"suggested,omitempty" jsonschema:"the catalog's chat model that fits this machine's memory"`
	Memory    int64  `json:"memory,omitempty"`
	Note      string `json:"note,omitempty" jsonschema:"why it is not available"`
}

// Status describes the vault (GET /api/status, `hoard status --json`).
type Status struct {
	Vault string `json:"vault"`
	Stats
	Schema        int                 `json:"schema_version"`
	SQLiteVersion string              `json:"sqlite_version"`
	VecVersion    string              `json:"vec_version"`
	Neural        NeuralStatus        `json:"neural"`
	Queue         Queue               `json:"queue"`
	Watched       []WatchedFolder     `json:"watched"`
	Transcription TranscriptionStatus `json:"transcription"`
	Chat          ChatStatus          `json:"chat"`
	Watch         WatchStatus         `json:"watch" jsonschema:"the watch running in this process (serve, the desktop app)"`
}

// App says which app this is (GET /api/app).
type App struct {
	Desktop bool   `json:"desktop" jsonschema:"the desktop window: native file drop, the system viewer"`
	Version string `json:"version"`
}

// LLMSettings choose the language model that answers questions (GET and
// PUT /api/llm, POST /api/llm/test). A stored API key is sent as ********.
type LLMSettings struct {
	Kind   string `json:"kind" enum:"auto,builtin,ollama,openai,none"`
	URL    string `json:"url,omitempty"`
	Model  string `json:"model,omitempty"`
	APIKey string `json:"api_key,omitempty"`
}

// LLMTest is what a language model server said when asked for its models.
type LLMTest struct {
	Reachable bool     `json:"reachable" jsonschema:"false when nothing answers at url; error then says so in plain words"`
	URL       string   `json:"url,omitempty"`
	Models    []string `json:"models"`
	Model     string   `json:"model,omitempty" jsonschema:"the model questions will use"`
	Error     string   `json:"error,omitempty"`
}

// TranscriptionSettings choose the speech-to-text engine (GET and PUT
// /api/transcription). A stored API key is sent as ********.
type TranscriptionSettings struct {
	URL      string `json:"url,omitempty" jsonschema:"an OpenAI-compatible transcription server; it wins over whisper"`
	APIKey   string `json:"api_key,omitempty"`
	Model    string `json:"model,omitempty" jsonschema:"the server's model name"`
	Whisper  string `json:"whisper,omitempty" jsonschema:"a whisper model from the catalog, run in process"`
	Language string `json:"language,omitempty"`
	Threads  int    `json:"threads,omitempty"`
	Off      bool   `json:"off,omitempty" jsonschema:"no engine, not even an installed whisper model: voice notes wait"`
}

// TranscriptionTest is what the engine in force heard in a recording (POST
// /api/transcription/test).
type TranscriptionTest struct {
	Engine       string   `json:"engine"`
	Model        string   `json:"model,omitempty"`
	Text         string   `json:"text"`
	AudioSeconds float64  `json:"audio_seconds"`
	Seconds      float64  `json:"seconds" jsonschema:"how long transcribing took"`
	Expected     string   `json:"expected,omitempty" jsonschema:"for the built-in sample: what it says"`
	WER          *float64 `json:"wer,omitempty" jsonschema:"for the built-in sample: the share of words heard wrong"`
}

// ImportResult is what reading an export added (POST /api/import).
type ImportResult struct {
	Added          int `json:"added"`
	Existing       int `json:"existing" jsonschema:"content the vault already had"`
	Queued         int `json:"queued,omitempty" jsonschema:"documents indexed from the export's text by the queue"`
	Conversations  int `json:"conversations,omitempty"`
	Settings       int `json:"settings,omitempty"`
	Watched        int `json:"watched,omitempty"`
	WatchedSkipped int `json:"watched_skipped,omitempty"`
	Vectors        int `json:"vectors,omitempty"`
	VectorsSkipped int `json:"vectors_skipped,omitempty"`
}

// Exported answers POST /api/export/save.
type Exported struct {
	Path      string `json:"path"`
	Documents int    `json:"documents"`
}

// ModelImport is the body of POST /api/models/{name}/import.
type ModelImport struct {
	From string `json:"from" jsonschema:"a folder or jar on the machine Hoard runs on"`
}

// ModelInstalled answers a model's import, and ends its pull ("done").
type ModelInstalled struct {
	Model string `json:"model"`
	Dir   string `json:"dir,omitempty"`
	Note  string `json:"note"`
}

// PullProgress is a model download's progress (the "progress" event).
type PullProgress struct {
	Model string `json:"model"`
	File  string `json:"file"`
	Done  int64  `json:"done"`
	Total int64  `json:"total" jsonschema:"-1 when unknown"`
}

// ErrorBody is every error's body.
type ErrorBody struct {
	Error string `json:"error"`
}

// PageLayout is where a PDF page's words sit, in points from its top left
// (GET /api/documents/{id}/pages/{n}/layout): the viewer's text layer and
// the cited passage's mark.
type PageLayout struct {
	Page   int          `json:"page"`
	Label  string       `json:"label,omitempty" jsonschema:"the printed page label, where the file declares labels"`
	Width  float64      `json:"width"`
	Height float64      `json:"height"`
	Lines  []LayoutLine `json:"lines"`
}

// LayoutLine is one line of a page's words, in reading order.
type LayoutLine struct {
	Words []LayoutWord `json:"words"`
}

// LayoutWord is a word and its box.
type LayoutWord struct {
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	W    float64 `json:"w"`
	H    float64 `json:"h"`
	Text string  `json:"t"`
}
