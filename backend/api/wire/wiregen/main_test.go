package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/api/wire"
)

const frontend = "../../../../frontend"

// The checked-in OpenAPI document and TypeScript types are what the Go
// types make now: a field added, renamed or retyped in backend/api/wire
// without `make types` fails here.
func TestGeneratedTypesMatchGo(t *testing.T) {
	doc, err := wire.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	same(t, docFile, doc, filepath.Join(frontend, docFile))

	if _, err := os.Stat(generator(frontend)); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the TypeScript generator is not installed (make frontend-deps): %v", err)
		}
		t.Skipf("the TypeScript generator is not installed (make frontend-deps): %v", err)
	}
	out := t.TempDir()
	if err := generate(context.Background(), frontend, out); err != nil {
		t.Fatal(err)
	}
	ts, err := os.ReadFile(filepath.Join(out, typesFile))
	if err != nil {
		t.Fatal(err)
	}
	same(t, typesFile, ts, filepath.Join(frontend, typesFile))
}

func same(t *testing.T, name string, want []byte, path string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (make types writes it)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the Go types make (%d bytes checked in, %d generated): run make types", name, len(got), len(want))
	}
}
