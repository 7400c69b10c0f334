package content

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func lower(s string) string { return strings.ToLower(s) }

// Fold returns s in lower case with accents removed and runs of spaces,
// dashes and underscores made one space, so that "Réseaux", "reseaux" and
// "RESEAUX" compare equal, and so do "simplex-chat" and "SimpleX Chat".
//
// It is on the per-message path (every command word and argument), so ASCII
// and Latin letters take fast paths; only other scripts and combining marks
// pay for Unicode normalisation. FuzzFold checks the paths agree.
func Fold(s string) string {
	clean := true // already folded: lower case, single inner spaces, no dashes
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return foldLatin(s)
		case c >= 'A' && c <= 'Z', isSep(c) && c != ' ':
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
	return foldLatin(s)
}

func isSep(c byte) bool {
	switch c {
	case ' ', '-', '_', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// latinFirst and latinLast bound the runes foldLatin knows: Latin-1 and
// Latin Extended-A and B, where French accents live.
const (
	latinFirst = 0xa0
	latinLast  = 0x24f
)

// latinFold holds foldUnicode of each rune in that range, "" for spaces.
// Folding a precomposed letter does not depend on its neighbours, so a
// string of them folds rune by rune.
var latinFold = func() (t [latinLast - latinFirst + 1]string) {
	for r := rune(latinFirst); r <= latinLast; r++ {
		if !unicode.IsSpace(r) {
			t[r-latinFirst] = foldUnicode(string(r))
		}
	}
	return t
}()

// foldLatin folds ASCII and Latin letters by table, and hands anything else
// (combining marks, other scripts) to foldUnicode.
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
			if isSep(c) {
				space = len(b) > 0
				continue
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			f = string(rune(c))
		case r >= latinFirst && r <= latinLast:
			if f = latinFold[r-latinFirst]; f == "" {
				space = len(b) > 0
				continue
			}
		default:
			return foldUnicode(s)
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, f...)
	}
	return string(b)
}

// foldUnicode is Fold for any text: decompose, drop combining marks,
// recompose, lower-case, and squeeze separators.
func foldUnicode(s string) string {
	// Invalid bytes would make the transform fail and leave the accents
	// in; as U+FFFD (what ranging over the string yields anyway) they fold
	// like any other rune, so that folding twice changes nothing.
	s = strings.ToValidUTF8(s, "\uFFFD")
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	var b strings.Builder
	b.Grow(len(out))
	space := false
	for _, r := range strings.ToLower(out) {
		if r == ' ' || r == '-' || r == '_' || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
