package content

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// decoder turns a yaml.Node tree into model values, strictly: it reports
// unknown fields, wrong types, missing fields and bad values with their
// positions, and keeps going so that one run shows every problem. It also
// records where each value sits (by path, e.g. "network.types[1]") so that
// the cross-checks done after decoding can point at the right line.
//
// yaml.v3's own Decode would stop at the first error, has no position for a
// missing field, and cannot tell a missing language from an empty one.
type decoder struct {
	file  string
	probs *Problems
	vals  map[string]Pos  // path → where the value starts
	keys  map[string]Pos  // path → where its key (or list item) starts
	bad   map[string]bool // paths already reported, so later checks skip them
}

func newDecoder(file string, probs *Problems) *decoder {
	return &decoder{file: file, probs: probs, vals: map[string]Pos{}, keys: map[string]Pos{}, bad: map[string]bool{}}
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Column: n.Column} }

// addf records a problem about the value at path.
func (d *decoder) addf(p Pos, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.bad[path] = true
	if path != "" {
		msg = path + ": " + msg
	}
	*d.probs = append(*d.probs, Problem{Pos: p, Msg: msg})
}

// decoded reports whether path was present and decoded without a problem.
func (d *decoder) decoded(path string) bool {
	_, ok := d.vals[path]
	return ok && !d.bad[path]
}

// at returns the best position for a problem about path: its key, else its
// value, else the start of the file.
func (d *decoder) at(path string) Pos {
	if p, ok := d.keys[path]; ok {
		return p
	}
	if p, ok := d.vals[path]; ok {
		return p
	}
	return Pos{File: d.file, Line: 1, Column: 1}
}

// valAt is like at but prefers the value's own position.
func (d *decoder) valAt(path string) Pos {
	if p, ok := d.vals[path]; ok {
		return p
	}
	return d.at(path)
}

var (
	posType  = reflect.TypeFor[Pos]()
	dateType = reflect.TypeFor[Date]()
	textType = reflect.TypeFor[Text]()
	urlType  = reflect.TypeFor[URL]()
)

// enums lists the values each enumerated type accepts, in display order.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[Status]():     {string(Recommended), string(Additional), string(NotRecommended)},
	reflect.TypeFor[Support]():    {string(Yes), string(Partial), string(No), string(NA)},
	reflect.TypeFor[Platform]():   {string(Android), string(IOS), string(Windows), string(MacOS), string(Linux), string(Web)},
	reflect.TypeFor[Identifier](): {string(PhoneNumber), string(Username), string(RandomID), string(NoID)},
}

// field is one YAML key of a struct, inline fields flattened.
type field struct {
	name     string
	index    []int
	optional bool         // tagged omitempty
	owner    reflect.Type // the struct that declares it, for messages
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
		if name == "-" || !sf.IsExported() || sf.Type == posType {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
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
			optional: slices.Contains(strings.Split(opts, ","), "omitempty"),
			owner:    t,
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
		switch {
		case sf.Type == posType:
			v.Field(i).Set(reflect.ValueOf(p))
		case sf.Anonymous && sf.Type.Kind() == reflect.Struct && sf.Type != dateType:
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
func describe(n *yaml.Node) string {
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
	if v.Type() == dateType {
		d.decodeDate(n, v, path)
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
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.addf(d.pos(n), path, "expected true or false, found %s", describe(n))
			return
		}
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			d.addf(d.pos(n), path, "expected true or false, found %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.addf(d.pos(n), path, "expected a whole number, found %s", describe(n))
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			d.addf(d.pos(n), path, "expected a whole number, found %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	default:
		// Only reachable if model.go grows a type this decoder does not know.
		d.addf(d.pos(n), path, "internal error: cannot decode into %s", v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, at Pos) {
	if n.Kind != yaml.MappingNode {
		d.addf(d.pos(n), path, "expected a mapping, found %s", describe(n))
		return
	}
	setPos(v, d.pos(n))
	fields := fieldsOf(v.Type())
	seen := make(map[string]*yaml.Node, len(fields))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.addf(d.pos(k), path, "expected a field name, found %s", describe(k))
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
		if isNull(val) || (fv.Kind() == reflect.String && val.Kind == yaml.ScalarNode && strings.TrimSpace(val.Value) == "") {
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
		d.decode(val, fv, fp, d.pos(k))
	}
	for _, f := range fields {
		if !f.optional && seen[f.name] == nil {
			d.addf(at, path, "%s", missingMsg(f))
		}
	}
}

func missingMsg(f field) string {
	if f.owner == textType {
		switch f.name {
		case "en":
			return "missing English text (en)"
		case "fr":
			return "missing French text (fr)"
		}
	}
	return fmt.Sprintf("missing field %q", f.name)
}

// didYouMean suggests the known field closest to a misspelt one.
func didYouMean(name string, fields []field) string {
	best, bestD := "", 3
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
		d.addf(d.pos(n), path, "expected a list, found %s", describe(n))
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
		d.addf(d.pos(n), path, "expected a mapping, found %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) || strings.TrimSpace(k.Value) == "" {
			d.addf(d.pos(k), path, "expected a key, found %s", describe(k))
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

func (d *decoder) decodeString(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.addf(d.pos(n), path, "expected a single value, found %s", describe(n))
		return
	}
	if !slices.Contains(scalarTags, n.Tag) {
		d.addf(d.pos(n), path, "unsupported YAML tag %s", truncate(n.Tag, 40))
		return
	}
	// Block scalars end with a newline; chat texts should not.
	s := strings.TrimSpace(n.Value)
	if s == "" {
		d.addf(d.pos(n), path, "empty value")
		return
	}
	t := v.Type()
	if t == urlType {
		if msg := checkURL(s); msg != "" {
			d.addf(d.pos(n), path, "%s", msg)
			return
		}
	} else if allowed, ok := enums[t]; ok && !slices.Contains(allowed, s) {
		d.addf(d.pos(n), path, "unknown value %q (want one of: %s)", truncate(s, 40), strings.Join(allowed, ", "))
		return
	}
	v.SetString(s)
}

// checkURL returns why s is not an absolute http(s) URL with a host, or "".
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || strings.ContainsAny(s, " \t\n"):
		return fmt.Sprintf("%q is not a valid URL", truncate(s, 60))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q is not an absolute http(s) URL", truncate(s, 60))
	case u.Host == "" || u.Hostname() == "" || u.User != nil:
		return fmt.Sprintf("%q has no valid host", truncate(s, 60))
	}
	return ""
}

func (d *decoder) decodeDate(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode {
		t, err := time.Parse(time.DateOnly, n.Value)
		// Parse alone would accept some sloppy forms; insist on YYYY-MM-DD.
		if err == nil && t.Format(time.DateOnly) == n.Value {
			v.Set(reflect.ValueOf(Date{Time: t, Pos: d.pos(n)}))
			return
		}
	}
	d.addf(d.pos(n), path, "expected a date written YYYY-MM-DD, found %s", describe(n))
}
