package testdata

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const rate = 16000

// JFKText is what samples/audio/jfk says (samples/audio/TRANSCRIPTS.md).
const JFKText = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."

// TranscriptionServer speaks OpenAI's /v1/audio/transcriptions. It checks
// the request the way a real server would read it and answers with the
// text it was told the recording holds, spread over two segments.
func TranscriptionServer(t *testing.T, text string, status *int) (*httptest.Server, *[]time.Duration) {
	t.Helper()
	var pieces []time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if status != nil && *status != http.StatusOK {
			http.Error(w, `{"error":{"message":"model is loading"}}`, *status)
			return
		}
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
			return
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		wav, _ := io.ReadAll(f)
		if string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" || binary.LittleEndian.Uint16(wav[22:]) != 1 ||
			binary.LittleEndian.Uint32(wav[24:]) != rate || binary.LittleEndian.Uint16(wav[34:]) != 16 {
			http.Error(w, "want 16 kHz mono 16-bit WAV", http.StatusBadRequest)
			return
		}
		if r.FormValue("model") == "" || r.FormValue("response_format") != "verbose_json" || !strings.HasSuffix(hdr.Filename, ".wav") {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		secs := float64(binary.LittleEndian.Uint32(wav[40:])/2) / rate
		pieces = append(pieces, time.Duration(secs*float64(time.Second)))
		words := strings.Fields(text)
		half := len(words) / 2
		json.NewEncoder(w).Encode(map[string]any{
			"text": text, "language": r.FormValue("language"),
			"segments": []map[string]any{
				{"id": 0, "start": 0.0, "end": secs / 2, "text": " " + strings.Join(words[:half], " ")},
				{"id": 1, "start": secs / 2, "end": secs, "text": " " + strings.Join(words[half:], " ")},
			},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &pieces
}
