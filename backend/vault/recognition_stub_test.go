//go:build !whisper

package vault

import (
	"os"
	"testing"
)

// Real speech recognition needs the in-process engine: this build has none
// (WHISPER=0, or go test without the whisper tag).
func TestRealSpeechRecognition(t *testing.T) {
	msg := "built without the whisper.cpp engine: run the tests with -tags whisper (make test does, after make setup builds it)"
	if os.Getenv("HOARD_REQUIRE_MODELS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
