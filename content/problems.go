package content

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
)

// add records a problem at p.
func (l *loader) add(p Pos, format string, args ...any) {
	l.probs = append(l.probs, p.Problemf(format, args...))
}

// errText drops the path fs errors repeat, since the problem already has it.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// known lists the ids of one kind, sorted, for an "unknown id" problem.
func known(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}
