package audio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The OpenAI-compatible engine asks for word times and reads every shape
// an answer comes in: OpenAI's words beside the segments, whisper.cpp's
// server and faster-whisper's words inside them, words alone, segments
// alone, text alone.
func TestOpenAIWordTimes(t *testing.T) {
	cases := []struct {
		name, body string
		want       string // segments as start-end "text" [words start:text]
	}{
		{"openai: words beside segments", `{"text":"Order the units. From Porto.","segments":[
			{"start":0.0,"end":1.5,"text":" Order the units."},{"start":2.0,"end":3.0,"text":" From Porto."}],
			"words":[{"word":"Order","start":0.1,"end":0.4},{"word":"the","start":0.5,"end":0.6},{"word":"units","start":0.8,"end":1.4},
			{"word":"From","start":2.1,"end":2.3},{"word":"Porto","start":2.4,"end":2.9}]}`,
			`0s-1.5s " Order the units." [100ms:Order 500ms:the 800ms:units] 2s-3s " From Porto." [2.1s:From 2.4s:Porto]`},
		{"whisper.cpp server: words inside segments", `{"text":"Hi there.","segments":[{"start":0.5,"end":1.2,"text":" Hi there.",
			"words":[{"word":" Hi","start":0.5,"end":0.7},{"word":" there.","start":0.8,"end":1.2}]}]}`,
			`500ms-1.2s " Hi there." [500ms: Hi 800ms: there.]`},
		{"words alone", `{"text":"Hi there","words":[{"word":"Hi","start":0.25,"end":0.5},{"word":"there","start":0.75,"end":1.0}]}`,
			`250ms-1s "Hi there" [250ms:Hi 750ms:there]`},
		{"segments alone", `{"text":"Hi.","segments":[{"start":0.3,"end":0.9,"text":" Hi."}]}`, `300ms-900ms " Hi." []`},
		{"text alone", `{"text":"Hi."}`, `0s-1s "Hi." []`},
		{"a diarizing server's speakers", `{"text":"Hi. Yes.","segments":[{"start":0,"end":1,"text":"Hi.","speaker":"A"},{"start":1,"end":2,"text":"Yes.","speaker":"B"}]}`,
			`0s-1s "Hi." [] 1s-2s "Yes." []`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseMultipartForm(1 << 20)
				if g := r.MultipartForm.Value["timestamp_granularities[]"]; fmt.Sprint(g) != "[segment word]" || r.FormValue("response_format") != "verbose_json" {
					http.Error(w, fmt.Sprintf("granularities %v", g), http.StatusBadRequest)
					return
				}
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			segs, err := (&OpenAI{URL: srv.URL}).Transcribe(context.Background(), make([]float32, Rate), "en")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range segs {
				var ws []string
				for _, w := range s.Words {
					ws = append(ws, fmt.Sprintf("%s:%s", w.Start, w.Text))
				}
				got = append(got, fmt.Sprintf("%s-%s %q [%s]", s.Start, s.End, s.Text, strings.Join(ws, " ")))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("got  %s\nwant %s", g, tc.want)
			}
			if strings.Contains(tc.name, "speakers") && (segs[0].Speaker != "A" || segs[1].Speaker != "B") {
				t.Fatalf("speakers %q %q", segs[0].Speaker, segs[1].Speaker)
			}
		})
	}
}

// fakeEngine answers each piece with one segment whose words are timed
// from the piece's start, as every engine does.
type fakeEngine struct{ pieces int }

func (f *fakeEngine) Name() string { return "fake" }

func (f *fakeEngine) Transcribe(_ context.Context, pcm []float32, _ string) ([]Segment, error) {
	f.pieces++
	d := Duration(len(pcm))
	return []Segment{{Start: 0, End: d, Text: fmt.Sprintf("piece %d ends", f.pieces), Words: []Word{
		{Start: 0, End: time.Second, Text: "piece"},
		{Start: 2 * time.Second, End: 3 * time.Second, Text: fmt.Sprint(f.pieces)},
		{Start: d - time.Second, End: d + 5*time.Second, Text: "ends"}, // strays past the piece
		{Start: d, End: d, Text: " "},                                  // empty: dropped
	}}}, nil
}

// Word times are moved by their piece's start into the whole recording,
// like segment times, and kept inside the piece.
func TestWordTimesFollowTheirPiece(t *testing.T) {
	tr := &Transcriber{Engine: &fakeEngine{}}
	got, err := tr.Samples(context.Background(), make([]float32, 45*Rate))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[0s-1s piece 2s-3s 1 29s-30s ends]", "[30s-31s piece 32s-33s 2 44s-45s ends]"}
	if len(got.Segments) != len(want) {
		t.Fatalf("%d segments", len(got.Segments))
	}
	for i, s := range got.Segments {
		var ws []string
		for _, w := range s.Words {
			ws = append(ws, fmt.Sprintf("%s-%s %s", w.Start, w.End, w.Text))
		}
		if g := "[" + strings.Join(ws, " ") + "]"; g != want[i] {
			t.Errorf("segment %d: %s, want %s", i, g, want[i])
		}
	}
}
