package yamlfile

import (
	"testing"
)

type color string

func (color) Values() []string { return []string{"red", "green"} }

type named struct {
	Name string `yaml:"name" desc:"name of the thing"`
	Pos  Pos
}

type sample struct {
	named  `yaml:",inline"`
	Port   int            `yaml:"port"`
	Ratio  float64        `yaml:"ratio,omitempty"`
	Small  uint8          `yaml:"small,omitempty"`
	On     bool           `yaml:"on,omitempty"`
	Color  color          `yaml:"color,omitempty"`
	Token  string         `yaml:"token,omitempty" secret:"true"`
	Mode   color          `yaml:"mode,omitempty" secret:"true"`
	Since  Date           `yaml:"since,omitempty"`
	Home   URL            `yaml:"home,omitempty"`
	Tags   []string       `yaml:"tags,omitempty"`
	Limits map[string]int `yaml:"limits,omitempty"`
	Sub    *named         `yaml:"sub,omitempty"`
	//lint:ignore U1000 an unexported field the decoder must leave alone
	internal string
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"valid", "name: a\nport: 80\nratio: 1.5\nsmall: 3\non: true\ncolor: red\nsince: 2025-05-16\nhome: https://example.org\ntags: [x]\nlimits: {a: 1}\nsub: {name: b}\n", ""},
		{"missing required", "port: 1\n", `f.yaml:1:1: missing name of the thing (name)`},
		{"empty string is missing", "name: ''\nport: 1\n", `f.yaml:1:7: missing name of the thing (name)`},
		{"null is missing", "name:\nport: 1\n", `f.yaml:1:1: missing name of the thing (name)`},
		{"unknown with suggestion", "name: a\nport: 1\nprot: 2\n", `f.yaml:3:1: unknown field "prot" (did you mean "port"?)`},
		{"unknown without suggestion", "name: a\nport: 1\nzzzzzz: 2\n", `f.yaml:3:1: unknown field "zzzzzz"`},
		{"empty key", "name: a\nport: 1\n\"\": 2\n", `f.yaml:3:1: unknown field ""`},
		{"unexported field is not a key", "name: a\nport: 1\ninternal: x\n", `f.yaml:3:1: unknown field "internal"`},
		{"duplicate", "name: a\nport: 1\nport: 2\n", `f.yaml:3:1: duplicate field "port" (first at line 2)`},
		{"not a number", "name: a\nport: x\n", `f.yaml:2:7: port: expected a whole number, found "x"`},
		{"overflow", "name: a\nport: 1\nsmall: 300\n", `f.yaml:3:8: small: expected a whole number of 0 or more, found "300"`},
		{"not a bool", "name: a\nport: 1\non: nope\n", `f.yaml:3:5: on: expected true or false, found "nope"`},
		{"enum", "name: a\nport: 1\ncolor: blue\n", `f.yaml:3:8: color: unknown value "blue" (want one of: red, green)`},
		{"secret enum not quoted", "name: a\nport: 1\nmode: hunter2\n", `f.yaml:3:7: mode: unknown value (want one of: red, green)`},
		{"secret not quoted", "name: a\nport: 1\ntoken: [hunter2]\n", `f.yaml:3:8: token: expected a single value, found a list`},
		{"date", "name: a\nport: 1\nsince: 2025-02-30\n", `f.yaml:3:8: since: expected a date written YYYY-MM-DD, found "2025-02-30"`},
		{"url", "name: a\nport: 1\nhome: example.org\n", `f.yaml:3:7: home: "example.org" is not an absolute http(s) URL`},
		{"nested", "name: a\nport: 1\nsub: {nam: b}\n", `f.yaml:3:1: sub: missing name of the thing (name)` + "\n" + `f.yaml:3:7: sub: unknown field "nam" (did you mean "name"?)`},
		{"map empty key", "name: a\nport: 1\nlimits: {'': 1}\n", `f.yaml:3:10: limits: expected a key, found ""`},
		{"list item", "name: a\nport: 1\ntags: [x, ~]\n", `f.yaml:3:11: tags[1]: empty list item`},
		{"alias", "name: &n a\nport: 1\nsub: {name: *n}\n", `f.yaml:3:13: sub.name: YAML aliases (*n) are not supported; write the value out`},
		{"tag", "name: !x a\nport: 1\n", `f.yaml:1:7: name: unsupported YAML tag !x`},
		{"syntax", "name: a\n  port: 1: 2\n", `f.yaml:2:1: invalid YAML: mapping values are not allowed in this context`},
		{"empty", "# nothing\n", `f.yaml:1:1: empty file`},
		{"two documents", "name: a\n---\nname: b\n", `f.yaml:2:1: only one YAML document is allowed per file`},
		{"not a mapping", "- a\n", `f.yaml:1:1: expected a mapping, found a list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v sample
			got := Decode("f.yaml", []byte(tc.in), &v).Error()
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	var v sample
	doc, ps := DecodeDoc("f.yaml", []byte("name: a\nport: 80\nsince: 2025-05-16\nsub:\n  name: b\nlimits: {x: 2}\n"), &v)
	if err := ps.Err(); err != nil {
		t.Fatal(err)
	}
	if v.Name != "a" || v.Port != 80 || v.Since.String() != "2025-05-16" || v.Sub == nil || v.Sub.Name != "b" || v.Limits["x"] != 2 {
		t.Errorf("decoded %+v", v)
	}
	if v.Pos != (Pos{File: "f.yaml", Line: 1, Column: 1}) || v.Sub.Pos != (Pos{File: "f.yaml", Line: 5, Column: 3}) {
		t.Errorf("positions %v %v", v.Pos, v.Sub.Pos)
	}
	if v.Since.Pos != (Pos{File: "f.yaml", Line: 3, Column: 8}) {
		t.Errorf("date position %v", v.Since.Pos)
	}
	if got := doc.At("sub.name").String(); got != "f.yaml:5:3" {
		t.Errorf("At(sub.name) = %s", got)
	}
	if got := doc.ValueAt("sub.name").String(); got != "f.yaml:5:9" {
		t.Errorf("ValueAt(sub.name) = %s", got)
	}
	if got := doc.At("limits.x").String(); got != "f.yaml:6:10" {
		t.Errorf("At(limits.x) = %s", got)
	}
	if got := doc.At("nowhere").String(); got != "f.yaml:1:1" {
		t.Errorf("At(nowhere) = %s", got)
	}
	if !doc.Decoded("sub") || doc.Has("tags") {
		t.Error("Decoded/Has wrong")
	}
}

func TestDecodeKeepsDefaults(t *testing.T) {
	v := sample{Port: 8080, Color: "green"}
	v.Name = "default"
	doc, ps := Options{AllowEmpty: true}.DecodeDoc("f.yaml", []byte("# only a comment\n"), &v)
	if doc == nil || ps.Err() != nil || v.Port != 8080 || v.Name != "default" {
		t.Errorf("AllowEmpty: doc %v, problems %v, value %+v", doc, ps, v)
	}
	if ps := Decode("f.yaml", []byte("name: x\nport: 1\n"), &v); ps.Err() != nil || v.Color != "green" {
		t.Errorf("an absent optional field lost its default: %v %+v", ps, v)
	}
}

func TestDecodeNotAPointer(t *testing.T) {
	var v sample
	if got := Decode("f.yaml", []byte("name: a\n"), v).Error(); got != "f.yaml:1:1: internal error: cannot decode into yamlfile.sample (want a non-nil pointer)" {
		t.Error(got)
	}
}

func TestProblemString(t *testing.T) {
	ps := Problems{
		{File: "b.yaml", Line: 2, Column: 1, Msg: "four"},
		{File: "a.yaml", Line: 10, Column: 3, Msg: "three"},
		{File: "a.yaml", Line: 2, Column: 5, Msg: "two"},
		{File: "a.yaml", Msg: "one"},
	}
	ps.Sort()
	want := "a.yaml: one\na.yaml:2:5: two\na.yaml:10:3: three\nb.yaml:2:1: four"
	if got := ps.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if Problems(nil).Err() != nil {
		t.Error("no problems should be a nil error")
	}
}
