package memory

import (
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/text"
)

const doc = `Photosynthesis

Photosynthesis is the process by which plants turn light into chemical energy.
Short line.
Chlorophyll in the leaves absorbs light, and the energy splits water. The light reactions make oxygen.
The weather was pleasant that day, said nobody in particular at the time.
In the Calvin Cycle, plants fix carbon dioxide into sugars using that energy. The Calvin Cycle needs light indirectly.`

func TestGist(t *testing.T) {
	g := Gist("Photosynthesis", doc, 2, 320)
	if !strings.Contains(g, "Photosynthesis is the process") || strings.Contains(g, "weather") || strings.Contains(g, "Short line") {
		t.Errorf("gist %q", g)
	}
	if n := len(text.Sentences(g)); n != 2 {
		t.Errorf("gist has %d sentences: %q", n, g)
	}
	if g := Gist("T", doc, 3, 80); len(g) > 80+len("…") || !strings.HasSuffix(g, "…") {
		t.Errorf("gist not cut to 80 bytes: %q", g)
	}
	if g := Gist("Only a title", "", 2, 100); g != "" {
		t.Errorf("empty text gave gist %q", g)
	}
}

func TestKeyphrases(t *testing.T) {
	k := Keyphrases("Photosynthesis", doc, 5)
	for _, want := range []string{"calvin cycle", "light", "photosynthesis"} {
		found := false
		for _, x := range k {
			found = found || x == want
		}
		if !found {
			t.Errorf("keyphrases %q lack %q", k, want)
		}
	}
	if len(k) > 5 {
		t.Errorf("%d keyphrases, asked for 5", len(k))
	}
}

// A keyphrase is its stem's most frequent form; of two as frequent, the
// one that reached that count first.
func TestKeyphraseForms(t *testing.T) {
	for _, c := range []struct {
		body, want string
	}{
		{"proteins bind. proteins fold. protein moves. protein binds. protein folds.", "protein"},
		{"protein moves. proteins bind. proteins fold. protein binds.", "proteins"},
		{"proteins bind. protein moves. protein binds. proteins fold.", "protein"},
		{"proteins bind. protein moves. protein binds. proteins fold. proteins again.", "proteins"},
	} {
		k := Keyphrases("T", c.body, 1)
		if len(k) != 1 || k[0] != c.want {
			t.Errorf("%q: keyphrases %q, want [%s]", c.body, k, c.want)
		}
	}
}
