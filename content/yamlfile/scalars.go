package yamlfile

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// scalarTags are the tags a scalar may carry; others (!!binary, custom
// tags) mean the author expects something this format does not do.
var scalarTags = []string{"!!str", "!!int", "!!float", "!!bool", "!!timestamp"}

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
