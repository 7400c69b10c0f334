package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on one command line. Past them the bot answers with an error
// instead of working through the input, so a 64 KB paste costs no more than
// scanning it once.
const (
	maxLineBytes = 1000 // after the prefix or the bot's name
	maxArgs      = 12   // arguments after the command word
	maxArgBytes  = 64   // per argument; no messenger or need name is longer
)

// via is how a line addressed the bot.
type via int

const (
	viaNone     via = iota // not addressed: the bot stays silent
	viaPrefix              // "!help"
	viaName                // "guidebot: help", "@guidebot:example.org help", or the name alone
	viaNameWeak            // "guidebot help": addressed only if a command or messenger follows
	viaDirect              // a line in a direct message, without prefix
)

// parseErr is a limit the line broke.
type parseErr int

const (
	errNone parseErr = iota
	errLineTooLong
	errTooManyArgs
	errArgTooLong
)

// parsed is one line split into a command word and its arguments.
type parsed struct {
	via  via
	word string   // the first token, cleaned but not folded; "" when nothing follows the address
	args []string // the other tokens, cleaned but not folded
	err  parseErr
}

// parse splits text into a command word and arguments, if the text is
// addressed to the bot: it starts with prefix, starts with one of names, or
// direct is set. It never fails; limits show up in parsed.err.
func parse(text, prefix string, names []string, direct bool) parsed {
	var p parsed
	s := trimLeft(text)
	switch {
	case prefix != "" && strings.HasPrefix(s, prefix):
		p.via, s = viaPrefix, s[len(prefix):]
	default:
		rest, strong, ok := addressedBy(s, names)
		switch {
		case ok && strong:
			p.via, s = viaName, rest
		case ok:
			p.via, s = viaNameWeak, rest
		case direct:
			p.via = viaDirect
		default:
			return p
		}
	}
	if len(s) > maxLineBytes {
		// Keep the command word, for the answer and the metrics.
		p.err = errLineTooLong
		s = s[:maxLineBytes]
	}
	var toks [maxArgs + 1]string
	n, err := tokenize(s, toks[:])
	if p.err == errNone {
		p.err = err
	}
	if n > 0 {
		p.word = toks[0]
		if n > 1 {
			p.args = append([]string(nil), toks[1:n]...)
		}
	}
	return p
}

// tokenize splits s at spaces into dst, honouring quotes, and returns how
// many tokens it stored. It stops at the first broken limit.
func tokenize(s string, dst []string) (int, parseErr) {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSep(r) || isInvisible(r) {
			i += size
			continue
		}
		if n == len(dst) {
			return n, errTooManyArgs
		}
		var tok string
		if closers := closingQuotes(r); closers != "" {
			body := s[i+size:]
			if j := strings.IndexAny(body, closers); j >= 0 {
				_, csize := utf8.DecodeRuneInString(body[j:])
				tok, i = clean(body[:j]), i+size+j+csize
			} else if rest := clean(body); rest != "" {
				// An unclosed quote takes the rest of the line.
				tok, i = rest, len(s)
			} else {
				// A lone quote is itself the argument (`set prefix "`).
				tok, i = s[i:i+size], len(s)
			}
		} else {
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if isSep(r) {
					break
				}
				j += size
			}
			tok, i = clean(s[i:j]), j
		}
		if len(tok) > maxArgBytes {
			return n, errArgTooLong
		}
		dst[n] = tok
		n++
	}
	return n, errNone
}

// closingQuotes returns the runes that may close a quote opened by r, or ""
// when r opens none. Typographic quotes pair loosely, because phones and
// keyboards mix them.
func closingQuotes(r rune) string {
	switch r {
	case '"', '“', '”', '„':
		return `"“”`
	case '\'', '‘', '’', '‚':
		return `'‘’`
	case '«':
		return "»"
	case '»':
		return "«"
	}
	return ""
}

// clean drops invisible characters, turns control characters into spaces
// and trims spaces. It returns s itself when there is nothing to change.
func clean(s string) string {
	dirty := false
	for _, r := range s {
		if isInvisible(r) || (isSep(r) && r != ' ') {
			dirty = true
			break
		}
	}
	if !dirty {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case isInvisible(r):
		case isSep(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// isSep reports whether r separates arguments: spaces and control characters.
func isSep(r rune) bool {
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7f
	}
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// isInvisible reports whether r is a format character (zero-width spaces and
// joiners, bidi marks and isolates, the BOM, soft hyphens): clients insert
// them around mentions and RTL text, and they must not change the meaning.
func isInvisible(r rune) bool {
	return r >= 0xad && unicode.Is(unicode.Cf, r)
}

// trimLeft drops leading spaces and invisible characters.
func trimLeft(s string) string {
	for i, r := range s {
		if !isSep(r) && !isInvisible(r) {
			return s[i:]
		}
	}
	return ""
}

// addressedBy reports whether s starts with one of the bot's names: its
// localpart, display name or user ID, optionally after "@", or as the
// Markdown link some clients leave for a mention pill. The longest name
// wins, so "@guidebot:example.org: help" is not read as "guidebot" + ":…".
// strong is true when a ":" or "," follows the name, or nothing does.
func addressedBy(s string, names []string) (rest string, strong, ok bool) {
	best := 0
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if k := nameAt(s, n); k > best && boundary(s[k:]) {
			best = k
		}
		if strings.HasPrefix(s, "[") {
			if k := linkAt(s, n); k > best && boundary(s[k:]) {
				best = k
			}
		}
	}
	if best == 0 {
		return "", false, false
	}
	rest = trimLeft(s[best:])
	if rest == "" {
		return "", true, true
	}
	if rest[0] == ':' || rest[0] == ',' {
		return trimLeft(rest[1:]), true, true
	}
	return rest, false, true
}

// nameAt returns the length of the name n (or "@"+n) at the start of s,
// ignoring case, or 0.
func nameAt(s, n string) int {
	if hasPrefixFold(s, n) {
		return len(n)
	}
	if n[0] != '@' && len(s) > 0 && s[0] == '@' && hasPrefixFold(s[1:], n) {
		return 1 + len(n)
	}
	return 0
}

// linkAt returns the length of a Markdown mention "[n](https://matrix.to/…)"
// at the start of s, or 0.
func linkAt(s, n string) int {
	end := strings.Index(s, "](")
	if end < 0 {
		return 0
	}
	label := s[1:end]
	if nameAt(label, n) != len(label) {
		return 0
	}
	close := strings.IndexByte(s[end:], ')')
	if close < 0 || !strings.HasPrefix(s[end+2:], "https://matrix.to/") {
		return 0
	}
	return end + close + 1
}

// boundary reports whether a name may end where rest starts: "guidebots"
// does not address "guidebot".
func boundary(rest string) bool {
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return r == ':' || r == ',' || isSep(r) || isInvisible(r)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
