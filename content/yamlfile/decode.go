package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// Doc records where the values of a decoded file sit, by path: field names
// joined by dots, list items by [i], map keys like fields
// ("network.types[1]", "criteria.forward-secrecy").
type Doc struct {
	File string
	vals map[string]Pos  // path → where the value starts
	keys map[string]Pos  // path → where its key (or list item) starts
	bad  map[string]bool // paths with a problem of their own
}

func newDoc(file string) *Doc {
	return &Doc{File: file, vals: map[string]Pos{}, keys: map[string]Pos{}, bad: map[string]bool{}}
}

// Has reports whether path was present in the file.
func (d *Doc) Has(path string) bool {
	_, ok := d.vals[path]
	return ok
}

// Decoded reports whether path was present and decoded without a problem
// of its own (problems inside its children do not count).
func (d *Doc) Decoded(path string) bool { return d.Has(path) && !d.bad[path] }

// At returns the best position for a problem about path: its key (or list
// item), else its value, else the start of the file.
func (d *Doc) At(path string) Pos {
	if p, ok := d.keys[path]; ok {
		return p
	}
	if p, ok := d.vals[path]; ok {
		return p
	}
	return Pos{File: d.File, Line: 1, Column: 1}
}

// ValueAt is like At but prefers the value's own position.
func (d *Doc) ValueAt(path string) Pos {
	if p, ok := d.vals[path]; ok {
		return p
	}
	return d.At(path)
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

// field is one YAML key of a struct, inline fields flattened.
type field struct {
	name     string
	index    []int
	optional bool   // tagged omitempty
	secret   bool   // tagged secret:"true"
	desc     string // from the desc tag, for "missing" messages
}

var fieldCache sync.Map // reflect.Type → []field

func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		optList := strings.Split(opts, ",")
		inline := slices.Contains(optList, "inline") && sf.Type.Kind() == reflect.Struct
		if name == "-" || (!sf.IsExported() && !(inline && sf.Anonymous)) || sf.Type == posType {
			continue
		}
		if inline {
			for _, f := range fieldsOf(sf.Type) {
				f.index = append([]int{i}, f.index...)
				out = append(out, f)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out = append(out, field{
			name:     name,
			index:    []int{i},
			optional: slices.Contains(optList, "omitempty"),
			secret:   sf.Tag.Get("secret") == "true",
			desc:     sf.Tag.Get("desc"),
		})
	}
	fieldCache.Store(t, out)
	return out
}

// setPos fills the Pos fields of a struct, including those of inline structs.
func setPos(v reflect.Value, p Pos) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		_, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		switch {
		case sf.Type == posType && sf.IsExported():
			v.Field(i).Set(reflect.ValueOf(p))
		case sf.Type.Kind() == reflect.Struct && slices.Contains(strings.Split(opts, ","), "inline"):
			setPos(v.Field(i), p)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

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

// scalarTags are the tags a scalar may carry; others (!!binary, custom
// tags) mean the author expects something this format does not do.
var scalarTags = []string{"!!str", "!!int", "!!float", "!!bool", "!!timestamp"}

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

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, at Pos) {
	if n.Kind != yaml.MappingNode {
		d.addf(d.pos(n), path, "expected a mapping, found %s", d.describe(n))
		return
	}
	setPos(v, d.pos(n))
	fields := fieldsOf(v.Type())
	seen := make(map[string]*yaml.Node, len(fields))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.addf(d.pos(k), path, "expected a field name, found %s", d.describe(k))
			continue
		}
		if prev := seen[k.Value]; prev != nil {
			d.addf(d.pos(k), path, "duplicate field %q (first at line %d)", truncate(k.Value, 40), prev.Line)
			continue
		}
		seen[k.Value] = k
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == k.Value })
		if i < 0 {
			d.addf(d.pos(k), path, "unknown field %q%s", truncate(k.Value, 40), didYouMean(k.Value, fields))
			continue
		}
		f := fields[i]
		fp := join(path, f.name)
		d.keys[fp] = d.pos(k)
		fv := v.FieldByIndex(f.index)
		if isEmpty(val, fv.Type()) {
			// An empty value is the same mistake as a missing key.
			if !f.optional {
				p := d.pos(val)
				if isNull(val) {
					p = d.pos(k)
				}
				d.addf(p, path, "%s", missingMsg(f))
			}
			continue
		}
		outer := d.secret
		d.secret = d.secret || f.secret
		d.decode(val, fv, fp, d.pos(k))
		d.secret = outer
	}
	for _, f := range fields {
		if !f.optional && seen[f.name] == nil {
			d.addf(at, path, "%s", missingMsg(f))
		}
	}
}

func missingMsg(f field) string {
	if f.desc != "" {
		return fmt.Sprintf("missing %s (%s)", f.desc, f.name)
	}
	return fmt.Sprintf("missing field %q", f.name)
}

// didYouMean suggests the known field closest to a misspelt one.
func didYouMean(name string, fields []field) string {
	if strings.TrimSpace(name) == "" {
		return ""
	}
	best, bestD := "", min(3, utf8.RuneCountInString(name))
	for _, f := range fields {
		if dist := Distance(name, f.name, bestD); dist < bestD {
			best, bestD = f.name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.addf(d.pos(n), path, "expected a list, found %s", d.describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		d.keys[ip] = d.pos(item)
		if isNull(item) {
			d.addf(d.pos(item), ip, "empty list item")
			continue
		}
		d.decode(item, s.Index(i), ip, d.pos(item))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(d.pos(n), path, "expected a mapping, found %s", d.describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.addf(d.pos(n), path, "internal error: cannot decode into %s (keys must be strings)", v.Type())
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) || strings.TrimSpace(k.Value) == "" {
			d.addf(d.pos(k), path, "expected a key, found %s", d.describe(k))
			continue
		}
		if prev := seen[k.Value]; prev != nil {
			d.addf(d.pos(k), path, "duplicate key %q (first at line %d)", truncate(k.Value, 40), prev.Line)
			continue
		}
		seen[k.Value] = k
		kp := join(path, k.Value)
		d.keys[kp] = d.pos(k)
		if isNull(val) {
			d.addf(d.pos(k), kp, "missing value")
			continue
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, ev, kp, d.pos(k))
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
	}
	v.Set(m)
}

// scalarText returns n's text, trimmed, or reports why n is not a single
// plain value.
func (d *decoder) scalarText(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.addf(d.pos(n), path, "expected a single value, found %s", d.describe(n))
		return "", false
	}
	if !slices.Contains(scalarTags, n.Tag) {
		d.addf(d.pos(n), path, "unsupported YAML tag %s", truncate(n.Tag, 40))
		return "", false
	}
	// Block scalars end with a newline; single values should not.
	s := strings.TrimSpace(n.Value)
	if s == "" {
		d.addf(d.pos(n), path, "empty value")
		return "", false
	}
	return s, true
}

func (d *decoder) decodeScalar(n *yaml.Node, v Scalar, path string) {
	s, ok := d.scalarText(n, path)
	if !ok {
		return
	}
	if err := v.DecodeYAMLScalar(s, d.pos(n)); err != nil {
		msg := err.Error()
		var safe SafeMessage
		if d.secret && !errors.As(err, &safe) {
			msg = "not a valid value"
		}
		d.addf(d.pos(n), path, "%s", msg)
	}
}

func (d *decoder) decodeString(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalarText(n, path)
	if !ok {
		return
	}
	if allowed := enumValues(v.Type()); allowed != nil && !slices.Contains(allowed, s) {
		shown := " " + strconv.Quote(truncate(s, 40))
		if d.secret {
			shown = ""
		}
		d.addf(d.pos(n), path, "unknown value%s (want one of: %s)", shown, strings.Join(allowed, ", "))
		return
	}
	v.SetString(s)
}

func enumValues(t reflect.Type) []string {
	if !t.Implements(enumType) {
		return nil
	}
	return reflect.Zero(t).Interface().(Enum).Values()
}
