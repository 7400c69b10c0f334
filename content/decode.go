package content

import (
	"unicode/utf8"

	"github.com/guidebot/guidebot/content/yamlfile"
)

// The content files are decoded by yamlfile; these are its types under the
// names the model has always used.
type (
	// Pos is where a value starts in its YAML file, for error messages.
	Pos = yamlfile.Pos
	// Problem is one thing wrong with a content directory, at a position.
	Problem = yamlfile.Problem
	// Problems is every problem found while loading, sorted by file and
	// line. It is the error Load returns.
	Problems = yamlfile.Problems
	// URL is an absolute http(s) URL, checked when loaded.
	URL = yamlfile.URL
	// Date is a calendar day, written 2006-01-02 in YAML.
	Date = yamlfile.Date
)

// Distance is the optimal-string-alignment distance between a and b, or
// limit+1 as soon as it is sure to exceed limit (see yamlfile.Distance).
func Distance(a, b string, limit int) int { return yamlfile.Distance(a, b, limit) }

// Values lists the statuses a card may have, for the loader.
func (Status) Values() []string {
	return []string{string(Recommended), string(Additional), string(NotRecommended), string(NotListed)}
}

// Values lists the answers a fact may give, for the loader.
func (Support) Values() []string {
	return []string{string(Yes), string(Partial), string(No), string(NA), string(Unknown)}
}

// Values lists the kinds of review, for the loader.
func (AuditKind) Values() []string {
	return []string{string(KindAudit), string(KindAnalysis), string(KindFindings)}
}

// Values lists the platforms, for the loader.
func (Platform) Values() []string {
	out := make([]string, len(Platforms))
	for i, p := range Platforms {
		out[i] = string(p)
	}
	return out
}

// Values lists the identifier kinds, for the loader.
func (Identifier) Values() []string {
	return []string{string(PhoneNumber), string(Username), string(RandomID), string(NoID)}
}

// truncate shortens s to n runes for quoting in a message.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
