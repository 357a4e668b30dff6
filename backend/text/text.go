// Package text is the ground floor under search, memory, answer and entity:
// how Hoard splits text into words and sentences, which words are too common
// to search for, how words are stemmed, and how text is clipped for display.
// It imports nothing of Hoard's, so every package above may use it.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// IsWordRune reports whether words are made of r: a letter, a digit or
// a mark. Everything that splits text into words splits it on the other
// runes, so that their words agree.
func IsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// Words splits text into lower-case words (letters, digits, marks).
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !IsWordRune(r) })
}

// AppendWords appends the lower-case words of s (runs of letters, digits
// and marks, as Words splits them) to dst, without copying words that are
// already lower case: the rescore stage tokenizes hundreds of passages a
// query with it.
func AppendWords(dst []string, s string) []string {
	start, upper := -1, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			isWord := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
			if isWord {
				if start < 0 {
					start, upper = i, false
				}
				upper = upper || c <= 'Z' && c >= 'A'
			} else if start >= 0 {
				dst = appendWord(dst, s[start:i], upper)
				start = -1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if IsWordRune(r) {
			if start < 0 {
				start = i
			}
			upper = true // not known to be lower case: let ToLower decide
		} else if start >= 0 {
			dst = appendWord(dst, s[start:i], upper)
			start = -1
		}
		i += n
	}
	if start >= 0 {
		dst = appendWord(dst, s[start:], upper)
	}
	return dst
}

func appendWord(dst []string, w string, upper bool) []string {
	if upper {
		w = strings.ToLower(w)
	}
	return append(dst, w)
}

// stopWords are dropped from a query that has other words; read-only.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by for from has have how i if in into is it its
		of on or so such that the their then there these they this to was were what when where which who whom why will with
		you your me my we our do does did can could would should about`) {
		m[w] = true
	}
	return m
}()

// IsStopWord reports whether a lower-case word is too common to search for.
func IsStopWord(w string) bool { return stopWords[w] }

// IsNumber reports whether w is all ASCII digits.
func IsNumber(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Stem is the Porter2 stem of a lower-case word: what snippets, rescoring,
// feedback and extractive answers compare.
func Stem(w string) string { return english.Stem(w, false) }

// Clip cuts s to about n bytes at a word boundary, marking the cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}
