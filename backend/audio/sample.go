package audio

import _ "embed"

// sampleMP3 is 10.6 s of a memo written and synthesized for Hoard's tests
// (../shared/samples/audio/memo, CC0): a recording with known words, for
// Settings' Test.
//
//go:embed sample/sample.mp3
var sampleMP3 []byte

// SampleText is what the sample says.
const SampleText = "Slides should show revenue growth and the hiring plan. Action item: Anna drafts the hiring plan and shares it by Wednesday."

// Sample returns the test recording (MP3) and its file name.
func Sample() ([]byte, string) { return sampleMP3, "sample.mp3" }
