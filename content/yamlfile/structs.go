package yamlfile

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
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
