package ingest

// Outcome of one file in a pass over the queue.
type Outcome string

const (
	OutIndexed   Outcome = "indexed"
	OutUnchanged Outcome = "unchanged"
	OutLinked    Outcome = "linked" // same content already stored under another path
	OutFailed    Outcome = "failed"
	OutRetry     Outcome = "retrying" // a failure that may pass; tried again later
	OutWaiting   Outcome = "waiting"  // for a transcription engine
	OutRemoved   Outcome = "removed"
)

// Progress is reported after each file.
type Progress struct {
	Done    int
	Total   int
	Path    string
	Outcome Outcome
	Reason  string // why it failed, or a note (e.g. "no text layer; OCR needed")
}

// Failure is a file that could not be indexed.
type Failure struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Summary totals an Add run.
type Summary struct {
	Indexed   int       `json:"indexed"`
	Unchanged int       `json:"unchanged"`
	Linked    int       `json:"linked"`
	Failed    []Failure `json:"failed"`
	Removed   int       `json:"removed,omitempty"`
	Retrying  []Failure `json:"retrying,omitempty"` // left in the queue for another attempt
	Waiting   []Failure `json:"waiting,omitempty"`  // left in the queue until a transcription engine is set up
	Skipped   int       `json:"skipped"`            // files a folder walk passed over
	Chunks    int       `json:"chunks"`
	Queued    int       `json:"queued,omitempty"`   // files Enqueue put in the queue
	Embedded  int       `json:"embedded,omitempty"` // chunks given vectors
	Warnings  []string  `json:"warnings,omitempty"`
}

// AddOptions tune one Add run.
type AddOptions struct {
	Collection string
	Progress   func(Progress)
	// EmbedProgress hears about vector indexing after the files, when an
	// embedder is installed.
	EmbedProgress func(EmbedProgress)
}

// EmbedProgress reports vector indexing.
type EmbedProgress struct {
	Done, Total int
}
