package commands

import (
	"unicode"
	"unicode/utf8"

	"github.com/guidebot/guidebot/content"
)

// fold is content.Fold with a fast path: command words and most arguments
// are short ASCII, and content.Fold's Unicode normalisation costs far more
// than the lookup it feeds. For ASCII input the result is identical.
func fold(s string) string {
	clean := true // already folded: lower-case, single inner spaces, no dashes
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return foldLatin(s)
		case c >= 'A' && c <= 'Z', c == '-', c == '_', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			clean = false
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				clean = false
			}
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '-', '_', '\t', '\n', '\v', '\f', '\r':
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// latinFirst and latinLast bound the runes foldLatin knows: Latin-1 and
// Latin Extended-A and B, where French accents live.
const (
	latinFirst = 0xa0
	latinLast  = 0x24f
)

// latinFold holds content.Fold of each rune in that range, "" for spaces.
// Folding a precomposed letter does not depend on its neighbours, so a
// string of them folds rune by rune.
var latinFold = func() (t [latinLast - latinFirst + 1]string) {
	for r := rune(latinFirst); r <= latinLast; r++ {
		if !unicode.IsSpace(r) {
			t[r-latinFirst] = content.Fold(string(r))
		}
	}
	return t
}()

// foldLatin folds s with latinFold, and leaves anything else (combining
// marks, other scripts, typographic punctuation) to content.Fold, whose
// Unicode normalisation costs about ten times as much.
func foldLatin(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		var f string
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if c == ' ' || c == '-' || c == '_' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' {
				space = len(b) > 0
				continue
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if space {
				b = append(b, ' ')
				space = false
			}
			b = append(b, c)
			continue
		case r >= latinFirst && r <= latinLast:
			if f = latinFold[r-latinFirst]; f == "" {
				space = len(b) > 0
				continue
			}
		default:
			return content.Fold(s)
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, f...)
	}
	return string(b)
}

// maxName is the longest name distance compares, as in content.Resolve.
const maxName = 64

// distance is the optimal-string-alignment distance (Levenshtein plus
// swapped neighbours: "hepl" is one typo from "help") between a and b in
// bytes, or limit+1 once it is sure to exceed limit. It compares folded
// command and need names, which are short ASCII, so bytes are enough.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit || len(a) > maxName || len(b) > maxName {
		return limit + 1
	}
	var buf [3][maxName + 1]int
	prev2, prev, cur := buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}
