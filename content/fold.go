package content

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func lower(s string) string { return strings.ToLower(s) }

// Fold returns s in lower case with accents removed and runs of spaces,
// dashes and underscores made one space, so that "Réseaux", "reseaux" and
// "RESEAUX" compare equal, and so do "simplex-chat" and "SimpleX Chat".
func Fold(s string) string {
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
