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

// verboseJSON is the response with response_format=verbose_json.
type verboseJSON struct {
	Text     string `json:"text"`
	Language string `json:"language"`
	Segments []struct {
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Text  string  `json:"text"`
	} `json:"segments"`
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
	fields := [][2]string{{"model", model}, {"response_format", "verbose_json"}, {"temperature", "0"}}
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
	var out []Segment
	for _, s := range v.Segments {
		out = append(out, Segment{Start: seconds(s.Start), End: seconds(s.End), Text: s.Text})
	}
	if len(out) == 0 && strings.TrimSpace(v.Text) != "" {
		// Plain json: one segment for the whole piece.
		out = []Segment{{Start: 0, End: Duration(len(pcm)), Text: v.Text}}
	}
	return out, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
