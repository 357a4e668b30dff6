package audio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// OpenAI is any server speaking OpenAI's /v1/audio/transcriptions:
// whisper.cpp's server (started with --inference-path
// /v1/audio/transcriptions), faster-whisper-server, LocalAI, or OpenAI.
type OpenAI struct {
	URL    string // base URL, e.g. http://127.0.0.1:8080 (with or without /v1)
	APIKey string
	Model  string // default "whisper-1"
	Client *http.Client
}

// Name says which server this is.
func (o *OpenAI) Name() string { return "transcription server " + o.URL }

func (o *OpenAI) endpoint() string {
	u := strings.TrimSuffix(o.URL, "/")
	switch {
	case strings.HasSuffix(u, "/audio/transcriptions"):
		return u
	case strings.HasSuffix(u, "/v1"):
		return u + "/audio/transcriptions"
	}
	return u + "/v1/audio/transcriptions"
}

// verboseJSON is the response with response_format=verbose_json. OpenAI
// lists the words beside the segments; whisper.cpp's server and
// faster-whisper put them inside each segment; a diarizing server names
// each segment's speaker.
type verboseJSON struct {
	Text     string `json:"text"`
	Language string `json:"language"`
	Segments []struct {
		Start   float64    `json:"start"`
		End     float64    `json:"end"`
		Text    string     `json:"text"`
		Speaker string     `json:"speaker"`
		Words   []wireWord `json:"words"`
	} `json:"segments"`
	Words []wireWord `json:"words"`
}

type wireWord struct {
	Word  string  `json:"word"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

func (w wireWord) word() Word {
	return Word{Start: seconds(w.Start), End: seconds(w.End), Text: w.Word}
}

// Transcribe sends the piece as a WAV file and reads the timed segments.
func (o *OpenAI) Transcribe(ctx context.Context, pcm []float32, language string) ([]Segment, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="speech.wav"`)
	h.Set("Content-Type", "audio/wav")
	fw, err := mw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	fw.Write(WAV(pcm))
	model := o.Model
	if model == "" {
		model = "whisper-1"
	}
	// Word times let a hit cite the moment its words are spoken; a server
	// that ignores the granularities still answers with segments.
	fields := [][2]string{{"model", model}, {"response_format", "verbose_json"}, {"temperature", "0"},
		{"timestamp_granularities[]", "segment"}, {"timestamp_granularities[]", "word"}}
	if language != "" {
		fields = append(fields, [2]string{"language", language})
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint(), &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.APIKey)
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 300 {
			msg = msg[:300]
		}
		err := fmt.Errorf("the server answered %s: %s", resp.Status, msg)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, err
	}
	var v verboseJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("the server's answer is not a transcription: %w", err)
	}
	return v.segments(Duration(len(pcm))), nil
}

// segments reads the answer: timed segments with their words, or the
// words alone, or the text alone as one segment for the whole piece.
func (v verboseJSON) segments(piece time.Duration) []Segment {
	var out []Segment
	for _, s := range v.Segments {
		seg := Segment{Start: seconds(s.Start), End: seconds(s.End), Text: s.Text, Speaker: s.Speaker}
		for _, w := range s.Words {
			seg.Words = append(seg.Words, w.word())
		}
		out = append(out, seg)
	}
	if len(v.Words) > 0 && len(out) > 0 && !slices.ContainsFunc(out, func(s Segment) bool { return len(s.Words) > 0 }) {
		assignWords(out, v.Words)
	}
	if len(out) == 0 && len(v.Words) > 0 {
		seg := Segment{Start: seconds(v.Words[0].Start), End: seconds(v.Words[len(v.Words)-1].End), Text: v.Text}
		var text []string
		for _, w := range v.Words {
			seg.Words = append(seg.Words, w.word())
			text = append(text, strings.TrimSpace(w.Word))
		}
		if strings.TrimSpace(seg.Text) == "" {
			seg.Text = strings.Join(text, " ")
		}
		out = []Segment{seg}
	}
	if len(out) == 0 && strings.TrimSpace(v.Text) != "" {
		// Plain json: one segment for the whole piece.
		out = []Segment{{Start: 0, End: piece, Text: v.Text}}
	}
	return out
}

// assignWords gives each segment the top-level words spoken within it: a
// word belongs to the last segment that starts at or before its middle.
func assignWords(segs []Segment, words []wireWord) {
	i := 0
	for _, w := range words {
		mid := seconds((w.Start + w.End) / 2)
		for i+1 < len(segs) && segs[i+1].Start <= mid {
			i++
		}
		segs[i].Words = append(segs[i].Words, w.word())
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
