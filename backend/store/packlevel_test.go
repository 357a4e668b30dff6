package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// docsText is the project's own documentation in passages of about a
// kilobyte: real prose, which random words are not (deflate's lazy
// matching gains on the phrases a language repeats).
func docsText(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no documentation to read: %v", err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for p := string(b); len(p) >= 1000; p = p[1000:] {
			out = append(out, p[:1000])
		}
	}
	return out
}

// Chunk text is deflated with lazy matching: on prose it packs smaller
// than deflate's greedy levels reach, and reads back the same.
func TestChunkTextPackedLazily(t *testing.T) {
	texts := docsText(t)
	if len(texts) < 60 {
		t.Fatalf("%d passages of documentation", len(texts))
	}
	dict := learnDictionary(texts[:len(texts)/3])
	dicts := &dictionaries{byID: map[int64]*dictionary{dict.id: dict}, cur: dict}
	greedy, err := flate.NewWriterDict(nil, 2, dict.data)
	if err != nil {
		t.Fatal(err)
	}
	var packed, plain int
	for _, text := range texts[len(texts)/3:] {
		b, ok := packTextWith(text, dict).([]byte)
		if !ok {
			t.Fatalf("a text of %d bytes is not packed", len(text))
		}
		if got, err := unpackText(b, dicts); err != nil || got != text {
			t.Fatalf("reads back %d bytes (%v), want %d", len(got), err, len(text))
		}
		packed += len(b)
		var buf bytes.Buffer
		greedy.Reset(&buf)
		greedy.Write([]byte(text))
		greedy.Close()
		// With the same format byte, dictionary and length.
		plain += buf.Len() + 1 + len(binary.AppendUvarint(nil, uint64(dict.id))) + len(binary.AppendUvarint(nil, uint64(len(text))))
	}
	if float64(packed) > 0.99*float64(plain) {
		t.Errorf("%d bytes packed, %d greedily: want under 99%%", packed, plain)
	}
}
