package entity

import (
	"reflect"
	"testing"
)

func TestNorm(t *testing.T) {
	for in, want := range map[string]string{
		"Theodred II (Bishop of Elmham)": "theodred ii",
		"  Bank   of America ":           "bank of america",
		"Café Müller":                    "café müller",
		"":                               "",
	} {
		if got := Norm(in); got != want {
			t.Errorf("Norm(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFind(t *testing.T) {
	cases := []struct {
		name     string
		title    string
		headings []string
		text     string
		want     []Ref
	}{
		{"title and headings define", "Marie Curie", []string{"Early Life", "Introduction"}, "She was born in Warsaw.",
			[]Ref{{"marie curie", Defines}, {"early life", Defines}}},
		{"multi-word names with connectors", "", nil,
			"He worked at the Bank of America and later at University of Oxford, then met Ludwig van Beethoven.",
			[]Ref{{"bank of america", Mentions}, {"university of oxford", Mentions}, {"ludwig van beethoven", Mentions}}},
		{"sentence-initial article dropped, single capitals ignored", "", nil,
			"The Beatles played in Hamburg. Paris is big.",
			[]Ref{{"beatles played", Mentions}}[:0]},
		{"punctuation ends a name", "", nil, "Born in New York, Jane Austen wrote.",
			[]Ref{{"new york", Mentions}, {"jane austen", Mentions}}},
		{"wikilinks, alias and anchor dropped", "", nil, "See [[Project Hail Mary|the book]] and [[reading list#later]].",
			[]Ref{{"project hail mary", Mentions}, {"reading list", Mentions}}},
		{"a definition wins over a mention", "Jane Austen", nil, "Jane Austen wrote novels.",
			[]Ref{{"jane austen", Defines}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Find(c.title, c.headings, c.text)
			if len(got) == 0 && len(c.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Find = %v, want %v", got, c.want)
			}
		})
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"", "The Bank of America", "[[a|b]] [[", "É É É", "of of Of", "A. B. C."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, r := range Find(text, []string{text}, text) {
			if r.Name == "" || (r.Kind != Defines && r.Kind != Mentions) {
				t.Fatalf("bad ref %+v", r)
			}
		}
	})
}

func TestGeneric(t *testing.T) {
	cases := map[string]bool{
		"methods and results":   true,
		"introduction":          true,
		"table of contents":     true,
		"results of the survey": false,
		"ermina tourelle":       false,
		"bank of america":       false,
	}
	for name, want := range cases {
		if got := Generic(name); got != want {
			t.Errorf("Generic(%q) = %v, want %v", name, got, want)
		}
	}
}
