package testdata

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// MemoSentence is one sentence of samples/audio/memo/planning-memo.wav
// and when it is spoken (seconds).
type MemoSentence struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Text  string  `json:"text"`
}

// PlanningMemo returns the path of planning-memo.wav and its sentences
// (planning-memo.json, the ground truth).
func PlanningMemo(t testing.TB) (string, []MemoSentence) {
	t.Helper()
	dir := Shared(t, "samples/audio/memo")
	raw, err := os.ReadFile(filepath.Join(dir, "planning-memo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var memo struct {
		Sentences []MemoSentence `json:"sentences"`
	}
	if err := json.Unmarshal(raw, &memo); err != nil || len(memo.Sentences) == 0 {
		t.Fatalf("planning-memo.json: %v", err)
	}
	return filepath.Join(dir, "planning-memo.wav"), memo.Sentences
}

// TimedWord is a word of a recording and when it is spoken (seconds).
type TimedWord struct {
	Text       string // as written in the sentence, with its punctuation
	Start, End float64
	Sentence   int
}

// SpreadWords times each sentence's words by spreading the sentence's time
// over them in proportion to their length: close to how speech at a steady
// pace falls, and exact at each sentence's start.
func SpreadWords(sentences []MemoSentence) []TimedWord {
	var out []TimedWord
	for k, s := range sentences {
		words := strings.Fields(s.Text)
		total := 0
		for _, w := range words {
			total += len(w) + 1
		}
		at := s.Start
		for _, w := range words {
			d := (s.End - s.Start) * float64(len(w)+1) / float64(total)
			out = append(out, TimedWord{Text: w, Start: at, End: at + d*0.9, Sentence: k})
			at += d
		}
	}
	return out
}

// TimedTranscriptionServer speaks OpenAI's /v1/audio/transcriptions with
// response_format=verbose_json and word timestamps, for a known recording
// (a 16-bit mono WAV file) whose words and times it is given. It finds
// where each piece it is sent lies in the recording by its samples, and
// answers with the words spoken in that piece, timed from the piece's
// start: one segment per sentence and the words beside them, as OpenAI
// does. It fails a request that does not ask for word timestamps.
func TimedTranscriptionServer(t *testing.T, wavPath string, words []TimedWord) *httptest.Server {
	t.Helper()
	data, err := os.ReadFile(wavPath)
	if err != nil {
		t.Fatal(err)
	}
	recording, err := wavSamples(data)
	if err != nil {
		t.Fatalf("%s: %v", wavPath, err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		g := r.MultipartForm.Value["timestamp_granularities[]"]
		if r.FormValue("response_format") != "verbose_json" || len(g) != 2 || g[0] != "segment" || g[1] != "word" {
			http.Error(w, "want verbose_json with segment and word timestamps", http.StatusBadRequest)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		raw, _ := io.ReadAll(f)
		piece, err := wavSamples(raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		off := locate(recording, piece)
		if off < 0 {
			http.Error(w, "this audio is not from the recording", http.StatusBadRequest)
			return
		}
		from, to := float64(off)/rate, float64(off+len(piece))/rate
		type wire struct {
			Word  string  `json:"word"`
			Start float64 `json:"start"`
			End   float64 `json:"end"`
		}
		var ws []wire
		var segs []map[string]any
		var text []string
		sentence := -1
		for _, tw := range words {
			if tw.Start < from || tw.Start >= to {
				continue
			}
			start, end := tw.Start-from, min(tw.End, to)-from
			ws = append(ws, wire{Word: strings.TrimFunc(tw.Text, unicode.IsPunct), Start: start, End: end})
			text = append(text, tw.Text)
			if tw.Sentence != sentence {
				sentence = tw.Sentence
				segs = append(segs, map[string]any{"id": len(segs), "start": start, "end": end, "text": ""})
			}
			seg := segs[len(segs)-1]
			seg["end"] = end
			seg["text"] = seg["text"].(string) + " " + tw.Text
		}
		json.NewEncoder(w).Encode(map[string]any{
			"task": "transcribe", "language": "english", "duration": to - from,
			"text": strings.Join(text, " "), "segments": segs, "words": ws,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// wavSamples reads a 16-bit mono WAV file's samples.
func wavSamples(data []byte) ([]int16, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	for i := 12; i+8 <= len(data); {
		id, n := string(data[i:i+4]), int(binary.LittleEndian.Uint32(data[i+4:]))
		i += 8
		if id == "fmt " && (binary.LittleEndian.Uint16(data[i+2:]) != 1 || binary.LittleEndian.Uint16(data[i+14:]) != 16) {
			return nil, errors.New("want 16-bit mono WAV")
		}
		if id == "data" {
			n = min(n, len(data)-i)
			out := make([]int16, n/2)
			for k := range out {
				out[k] = int16(binary.LittleEndian.Uint16(data[i+2*k:]))
			}
			return out, nil
		}
		i += n + n%2
	}
	return nil, errors.New("WAV file without data")
}

// locate finds where piece starts in recording, or -1. The piece went
// through float samples and back, so each sample may be off by one or two.
func locate(recording, piece []int16) int {
	near := func(a, b int16) bool { d := int(a) - int(b); return d <= 2 && d >= -2 }
	// Anchor on the piece's first loud sample: silence matches anywhere.
	anchor := -1
	for i, x := range piece {
		if x > 2000 || x < -2000 {
			anchor = i
			break
		}
	}
	if anchor < 0 {
		return -1
	}
	check := min(len(piece)-anchor, 4096)
	for off := 0; off+len(piece) <= len(recording); off++ {
		ok := true
		for i := anchor; i < anchor+check; i++ {
			if !near(recording[off+i], piece[i]) {
				ok = false
				break
			}
		}
		if ok {
			return off
		}
	}
	return -1
}
