package yamlfile

import "unicode/utf8"

// maxDistanceLen is the longest string Distance compares; no name is
// longer, and the bound keeps the work on hostile input small.
const maxDistanceLen = 64

// Distance is the optimal-string-alignment distance between a and b
// (Levenshtein plus swapped neighbours: "hepl" is one typo from "help"),
// or limit+1 as soon as it is sure to exceed limit. It counts bytes when
// both strings are ASCII, the usual case for folded names, and runes
// otherwise.
func Distance(a, b string, limit int) int {
	if isASCII(a) && isASCII(b) {
		return osa([]byte(a), []byte(b), limit)
	}
	return osa([]rune(a), []rune(b), limit)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func osa[T byte | rune](a, b []T, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit || len(a) > maxDistanceLen || len(b) > maxDistanceLen {
		return limit + 1
	}
	var buf [3][maxDistanceLen + 1]int
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
