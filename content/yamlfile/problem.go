package yamlfile

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Pos is where a value starts in a YAML file. Line and Column count from 1;
// a zero Line means the file as a whole.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String formats the position as file:line:col, or just file when Line is 0.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Problemf returns a problem at p.
func (p Pos) Problemf(format string, args ...any) Problem {
	return Problem{File: p.File, Line: p.Line, Column: p.Column, Msg: fmt.Sprintf(format, args...)}
}

// Problem is one thing wrong with a file, at a position.
type Problem struct {
	File   string
	Line   int // 0: the file as a whole
	Column int
	Msg    string
}

// Pos returns where the problem is.
func (p Problem) Pos() Pos { return Pos{File: p.File, Line: p.Line, Column: p.Column} }

// String formats the problem as file:line:col: message (file: message when
// it is about the whole file), the form editors and CI logs turn into links.
func (p Problem) String() string { return p.Pos().String() + ": " + p.Msg }

// Problems is every problem found, sorted by file, line and column once
// Sort has run (Decode and DecodeDoc return them sorted). It is an error.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there is no problem (a nil
// Problems stored in an error interface would not be nil).
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Sort orders ps by file, line and column, keeping the order of problems at
// the same place.
func (ps Problems) Sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			strings.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
		)
	})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxProblem places a yaml.v3 syntax error; the parser gives a line but
// no column, so the problem points at the start of the line.
func syntaxProblem(file string, err error) Problem {
	p := Pos{File: file, Line: 1, Column: 1}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			p.Line = n
		}
		msg = msg[len(m[0]):]
	}
	return p.Problemf("invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}
