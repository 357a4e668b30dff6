// Package script answers questions about writing systems that several
// stages ask (extraction, chunking, search) and must answer alike.
package script

import "unicode"

// IsCJK reports a Han, kana or Hangul character: scripts written without
// spaces between words, where each character counts as a token.
func IsCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}
