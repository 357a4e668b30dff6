// Command wiregen writes the API's OpenAPI document and the UI's
// TypeScript types generated from it (frontend/src/lib/openapi.json and
// wire.ts): `make types`, from the repository's root. The types come from
// the frontend's own openapi-typescript (npm ci in frontend/ first).
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/hoardvault/hoard/backend/api/wire"
)

// Where the generated files go, under the frontend's folder.
const (
	docFile   = "src/lib/openapi.json"
	typesFile = "src/lib/wire.ts"
)

const header = "// Generated from the Go types in backend/api/wire by `make types`: edit those, not this.\n"

func main() {
	frontend := "frontend"
	if len(os.Args) > 1 {
		frontend = os.Args[1]
	}
	if err := generate(context.Background(), frontend, frontend); err != nil {
		fmt.Fprintln(os.Stderr, "wiregen:", err)
		os.Exit(1)
	}
}

// generator is the frontend's openapi-typescript.
func generator(frontend string) string {
	return filepath.Join(frontend, "node_modules", ".bin", "openapi-typescript")
}

// generate writes the document and the types under out (as they lie under
// the frontend's folder), with the generator installed in frontend.
func generate(ctx context.Context, frontend, out string) error {
	doc, err := wire.OpenAPI()
	if err != nil {
		return err
	}
	docPath, typesPath := filepath.Join(out, docFile), filepath.Join(out, typesFile)
	if err := os.MkdirAll(filepath.Dir(docPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, generator(frontend), docPath, "-o", typesPath,
		"--root-types", "--root-types-no-schema-prefix", "--root-types-keep-casing", "--array-length")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", cmd.Path, err, stderr.Bytes())
	}
	ts, err := os.ReadFile(typesPath)
	if err != nil {
		return err
	}
	return os.WriteFile(typesPath, append([]byte(header), ts...), 0o644)
}
