package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// named is a type of the contract and its name in the OpenAPI document and
// the generated TypeScript.
type named struct {
	name string
	t    reflect.Type
}

func of[T any](name string) named { return named{name, reflect.TypeFor[T]()} }

// contract lists every type clients read or send. Each is a component of
// the OpenAPI document and a reference wherever another one holds it.
func contract() []named {
	return []named{
		of[TimeSpan]("TimeSpan"), of[Hit]("Hit"), of[SearchResult]("SearchResult"),
		of[DocumentInfo]("DocumentInfo"), of[Chunk]("Chunk"), of[DocumentDetail]("DocumentDetail"),
		of[Page[DocumentInfo]]("DocumentPage"), of[MoveRequest]("MoveRequest"), of[OpenRequest]("OpenRequest"),
		of[Collection]("Collection"), of[CollectionRequest]("CollectionRequest"),
		of[QueueItem]("QueueItem"), of[MediaProgress]("MediaProgress"), of[QueueStats]("QueueStats"), of[Queue]("Queue"),
		of[Failure]("Failure"), of[Summary]("Summary"), of[Queued]("Queued"), of[Reindexed]("Reindexed"),
		of[Outcome]("Outcome"), of[Items[Outcome]]("Outcomes"), of[OutcomesRequest]("OutcomesRequest"),
		of[Citation]("Citation"), of[Step]("Step"), of[Answer]("Answer"), of[AskRequest]("AskRequest"), of[Delta]("Delta"),
		of[Conversation]("Conversation"), of[Items[Conversation]]("Conversations"), of[ChatMessage]("ChatMessage"),
		of[ConversationDetail]("ConversationDetail"), of[Rename]("Rename"),
		of[Note]("Note"), of[Created]("Created"), of[Gist]("Gist"), of[GlobalMemory]("GlobalMemory"),
		of[WatchedFolder]("WatchedFolder"), of[WatchRequest]("WatchRequest"), of[Watching]("Watching"),
		of[WatchStatus]("WatchStatus"), of[Embedding]("Embedding"), of[Snapshot]("Snapshot"),
		of[Stats]("Stats"), of[NeuralStatus]("NeuralStatus"), of[TranscriptionStatus]("TranscriptionStatus"),
		of[ChatStatus]("ChatStatus"), of[Status]("Status"), of[App]("App"),
		of[LLMSettings]("LLMSettings"), of[LLMTest]("LLMTest"),
		of[TranscriptionSettings]("TranscriptionSettings"), of[TranscriptionTest]("TranscriptionTest"),
		of[ImportResult]("ImportResult"), of[Exported]("Exported"),
		of[ModelStatus]("ModelStatus"), of[ModelImport]("ModelImport"), of[ModelInstalled]("ModelInstalled"),
		of[PullProgress]("PullProgress"), of[ErrorBody]("ErrorBody"),
		of[LayoutWord]("LayoutWord"), of[LayoutLine]("LayoutLine"), of[PageLayout]("PageLayout"),
	}
}

// RefPrefix is where a component's references point.
const RefPrefix = "#/components/schemas/"

// Schemas are the contract's JSON Schemas by name (OpenAPI 3.1's dialect,
// draft 2020-12), referring to one another under RefPrefix.
func Schemas() (map[string]*jsonschema.Schema, error) {
	types := contract()
	out := make(map[string]*jsonschema.Schema, len(types))
	for _, n := range types {
		// Every other type of the contract is a reference, but for those
		// embedded here: their fields are this type's own in JSON.
		refs := map[reflect.Type]*jsonschema.Schema{}
		for _, o := range types {
			if o.t != n.t && !embeds(n.t, o.t) {
				refs[o.t] = &jsonschema.Schema{Ref: RefPrefix + o.name}
			}
		}
		s, err := jsonschema.ForType(n.t, &jsonschema.ForOptions{TypeSchemas: refs})
		if err != nil {
			return nil, fmt.Errorf("schema of %s: %w", n.name, err)
		}
		if err := enums(n.t, s); err != nil {
			return nil, fmt.Errorf("schema of %s: %w", n.name, err)
		}
		notNull(s)
		out[n.name] = s
	}
	return out, nil
}

func embeds(t, e reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous && f.Type == e {
			return true
		}
	}
	return false
}

// enums applies the enum tags of t's fields to their properties.
func enums(t reflect.Type, s *jsonschema.Schema) error {
	if t.Kind() != reflect.Struct {
		return nil
	}
	for _, f := range reflect.VisibleFields(t) {
		tag, ok := f.Tag.Lookup("enum")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		p := s.Properties[name]
		if p == nil || p.Type != "string" {
			return fmt.Errorf("enum on %s, which is not a string property", f.Name)
		}
		for _, v := range strings.Split(tag, ",") {
			p.Enum = append(p.Enum, v)
		}
	}
	return nil
}

// notNull drops JSON null from every schema: a nil slice or pointer is
// never sent where a field is required (the conversions make lists empty,
// and optional fields are left out), so the types need not admit null.
func notNull(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	s.Types = slices.DeleteFunc(s.Types, func(t string) bool { return t == "null" })
	if s.Ref != "" {
		s.Types = nil
	}
	if len(s.Types) == 1 {
		s.Type, s.Types = s.Types[0], nil
	}
	notNull(s.Items)
	notNull(s.AdditionalProperties)
	for _, p := range s.Properties {
		notNull(p)
	}
}

// OpenAPI is the API's OpenAPI 3.1 document: the contract's schemas as
// components (GET /api/openapi.json; the UI's TypeScript is generated from
// it).
func OpenAPI() ([]byte, error) {
	schemas, err := Schemas()
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]string{"title": "Hoard", "version": "1",
			"description": "Hoard's HTTP API, `hoard ... --json` and the MCP tools' results share these types."},
		"paths":      map[string]any{},
		"components": map[string]any{"schemas": schemas},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // descriptions say <mark>
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
