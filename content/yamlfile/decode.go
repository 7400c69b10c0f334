package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Options change how a file is decoded. The zero value is the strict default.
type Options struct {
	// AllowEmpty accepts a file with no document (empty or only comments):
	// v is left as it was, for files whose every field has a default.
	AllowEmpty bool
	// Secret treats every value as secret: problems never quote one. For
	// files where a secret may sit under the wrong key (a config file).
	Secret bool
}

// Decode parses one YAML document from data into v, a non-nil pointer, and
// returns every problem found, sorted. Values are set even when there are
// problems, as far as they could be decoded.
func Decode(file string, data []byte, v any) Problems {
	_, ps := Options{}.DecodeDoc(file, data, v)
	return ps
}

// DecodeDoc is Decode that also returns where each value sits, for checks
// made after decoding. The Doc is nil when the file could not be parsed at
// all (syntax error, no document, several documents).
func DecodeDoc(file string, data []byte, v any) (*Doc, Problems) {
	return Options{}.DecodeDoc(file, data, v)
}

// DecodeDoc is the package's DecodeDoc with these options.
func (o Options) DecodeDoc(file string, data []byte, v any) (doc *Doc, probs Problems) {
	start := Pos{File: file, Line: 1, Column: 1}
	// yaml.v3 is fed files written by hand; a panic in it must become a
	// problem, not take the caller down.
	defer func() {
		if r := recover(); r != nil {
			doc = nil
			probs = append(probs, start.Problemf("internal error while reading: %v", r))
			probs.Sort()
		}
	}()
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, Problems{start.Problemf("internal error: cannot decode into %T (want a non-nil pointer)", v)}
	}
	var node yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&node); err != nil {
		if errors.Is(err, io.EOF) {
			if o.AllowEmpty {
				return newDoc(file), nil
			}
			return nil, Problems{start.Problemf("empty file")}
		}
		return nil, Problems{syntaxProblem(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p := start
		if err == nil {
			p.Line, p.Column = extra.Line, extra.Column
		}
		return nil, Problems{p.Problemf("only one YAML document is allowed per file")}
	}
	root := &node
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			if o.AllowEmpty {
				return newDoc(file), nil
			}
			return nil, Problems{start.Problemf("empty file")}
		}
		root = root.Content[0]
	}
	d := &decoder{Doc: newDoc(file), secret: o.Secret}
	d.decode(root, rv.Elem(), "", d.pos(root))
	d.probs.Sort()
	return d.Doc, d.probs
}

// decoder walks a yaml.Node tree beside the Go value, strictly, and keeps
// going after a problem so that one run shows them all. yaml.v3's own
// Decode would stop at the first error, has no position for a missing
// field, and cannot tell a missing value from an empty one.
type decoder struct {
	*Doc
	probs  Problems
	secret bool // inside a field tagged secret: never quote a value
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.File, Line: n.Line, Column: n.Column} }

// addf records a problem about the value at path.
func (d *decoder) addf(p Pos, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.bad[path] = true
	if path != "" {
		msg = path + ": " + msg
	}
	d.probs = append(d.probs, p.Problemf("%s", msg))
}

var (
	posType    = reflect.TypeFor[Pos]()
	scalarType = reflect.TypeFor[Scalar]()
	enumType   = reflect.TypeFor[Enum]()
)

// describe names what a node is, for "expected X, found Y".
func (d *decoder) describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	if d.secret {
		return "a value"
	}
	return strconv.Quote(truncate(n.Value, 40))
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// isEmpty reports whether n is a missing value: null, or a blank scalar
// where a single value (a string, or a Scalar type) is expected.
func isEmpty(n *yaml.Node, t reflect.Type) bool {
	if isNull(n) {
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	single := t.Kind() == reflect.String || reflect.PointerTo(t).Implements(scalarType)
	return single && n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) == ""
}

// decode fills v from n. at is where to report fields missing from n: the
// key that names n, which is easier to find than n's first line.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, at Pos) {
	if n.Kind == yaml.AliasNode {
		d.addf(d.pos(n), path, "YAML aliases (*%s) are not supported; write the value out", truncate(n.Value, 40))
		return
	}
	d.vals[path] = d.pos(n)
	if v.CanAddr() && v.Addr().Type().Implements(scalarType) {
		d.decodeScalar(n, v.Addr().Interface().(Scalar), path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		d.decode(n, nv.Elem(), path, at)
		v.Set(nv)
	case reflect.Struct:
		d.decodeStruct(n, v, path, at)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		d.decodeString(n, v, path)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.addf(d.pos(n), path, "expected true or false, found %s", d.describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v.OverflowInt(i) {
			d.addf(d.pos(n), path, "expected a whole number, found %s", d.describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v.OverflowUint(u) {
			d.addf(d.pos(n), path, "expected a whole number of 0 or more, found %s", d.describe(n))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || err != nil || v.OverflowFloat(f) {
			d.addf(d.pos(n), path, "expected a number, found %s", d.describe(n))
			return
		}
		v.SetFloat(f)
	default:
		// Only reachable if a caller's type holds something this decoder
		// does not know (a channel, an interface...).
		d.addf(d.pos(n), path, "internal error: cannot decode into %s", v.Type())
	}
}
