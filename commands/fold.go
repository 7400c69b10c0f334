package commands

import "github.com/guidebot/guidebot/content"

// fold is content.Fold with a fast path: command words and most arguments
// are short ASCII, and content.Fold's Unicode normalisation costs far more
// than the lookup it feeds. For ASCII input the result is identical.
func fold(s string) string {
	clean := true // already folded: lower-case, single inner spaces, no dashes
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return content.Fold(s)
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

// distance is the Levenshtein distance between a and b in bytes, or
// limit+1 once it is sure to exceed limit. It only compares folded command
// words, which are short ASCII, so bytes are enough.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if len(b) > 32 {
		return limit + 1
	}
	var rowBuf [33]int
	row := rowBuf[:len(b)+1]
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		best := row[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur := min(row[j]+1, row[j-1]+1, prev+cost)
			prev, row[j] = row[j], cur
			best = min(best, cur)
		}
		if best > limit {
			return limit + 1
		}
	}
	return row[len(b)]
}
