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

// unreadable records why name could not be read: missing when it does not
// exist, else the error.
func (l *loader) unreadable(name string, err error, missing string) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.add(Pos{File: name}, "%s", missing)
	case escapes(err):
		l.add(Pos{File: name}, "points outside the content directory (a link must be relative and stay inside it)")
	default:
		l.add(Pos{File: name}, "cannot read: %s", errText(err))
	}
}

// escapes reports the error an os.Root gives for a path that leads out of
// it (an absolute link, or one climbing above the root). os does not export
// it; TestLoadDirFileTypes notices if its text changes.
func escapes(err error) bool {
	return errText(err) == "path escapes from parent"
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
		if k != "" { // a card without an id has its own problem
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}
