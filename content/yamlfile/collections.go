package yamlfile

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

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
