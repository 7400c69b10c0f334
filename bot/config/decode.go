package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration, located as precisely as
// possible: a file position, or the environment variable that set it.
type Problem struct {
	File    string // config file, or "" when the key came from defaults
	Line    int
	Col     int
	Env     string // the environment variable that set the key, if any
	Key     string // dotted key, e.g. matrix.homeserver
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Env != "":
		b.WriteString("$" + p.Env + ": ")
	case p.File != "" && p.Line > 0 && p.Col > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Col)
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		b.WriteString(p.File + ": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a configuration; it is the error
// LoadConfig and Validate return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

var durationType = reflect.TypeFor[time.Duration]()

// quoted matches the parts of a YAML syntax error that quote the file (an
// anchor's name, a tag, a character): a secret may start there.
var quoted = regexp.MustCompile("'[^']*'|`[^`]*`|\"[^\"]*\"")

func (c *Config) decode(data []byte) Problems {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 syntax errors read "yaml: line N: message"; move the
		// line into the position so the output stays file:line: message.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		p := Problem{File: c.file}
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, m, ok := strings.Cut(rest, ": "); ok {
				if line, err := strconv.Atoi(n); err == nil {
					p.Line, msg = line, m
				}
			}
		}
		p.Message = strings.Join(strings.Fields(quoted.ReplaceAllString(msg, "")), " ")
		return Problems{p}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file: defaults only
	}
	var probs Problems
	c.decodeNode(doc.Content[0], reflect.ValueOf(c).Elem(), "", &probs)
	return probs
}

func (c *Config) at(n *yaml.Node, key, msg string) Problem {
	return Problem{File: c.file, Line: n.Line, Col: n.Column, Key: key, Message: msg}
}

// decodeNode walks the YAML tree beside the struct so that unknown keys and
// type errors name the dotted key and its position, and never quote a value.
func (c *Config) decodeNode(n *yaml.Node, v reflect.Value, key string, probs *Problems) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with no value keeps the default
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			*probs = append(*probs, c.at(n, key, "expected a duration such as 10s or 1m30s"))
			return
		}
		v.SetInt(int64(d))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			*probs = append(*probs, c.at(n, key, "expected a mapping of keys"))
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			full := kn.Value
			if key != "" {
				full = key + "." + kn.Value
			}
			f, ok := fieldByTag(v, kn.Value)
			if !ok || kn.Kind != yaml.ScalarNode {
				if kn.Value == "" || kn.Kind != yaml.ScalarNode {
					full = key
					if full == "" {
						full = "(top level)"
					}
					*probs = append(*probs, c.at(kn, full, "a key must be a name"))
					continue
				}
				*probs = append(*probs, c.at(kn, full, "unknown key"))
				continue
			}
			if seen[kn.Value] {
				*probs = append(*probs, c.at(kn, full, "duplicate key"))
				continue
			}
			seen[kn.Value] = true
			c.pos[full] = c.at(vn, full, "")
			c.decodeNode(vn, f, full, probs)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			*probs = append(*probs, c.at(n, key, "expected a string"))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			*probs = append(*probs, c.at(n, key, "expected an integer"))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			*probs = append(*probs, c.at(n, key, "expected true or false"))
			return
		}
		v.SetBool(b)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			*probs = append(*probs, c.at(n, key, "expected a list of strings"))
			return
		}
		list := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			for item.Kind == yaml.AliasNode && item.Alias != nil {
				item = item.Alias
			}
			if item.Kind != yaml.ScalarNode {
				*probs = append(*probs, c.at(item, key, "expected a list of strings"))
				continue
			}
			list = append(list, item.Value)
		}
		v.Set(reflect.ValueOf(list))
	}
}

// fieldByTag finds the exported field whose yaml name is name; the empty
// name matches nothing (not the unexported bookkeeping fields).
func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	if name == "" {
		return reflect.Value{}, false
	}
	t := v.Type()
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "" || tag == "-" || !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	return name
}

// applyEnv sets every key that has a GUIDEBOT_<SECTION>_<KEY> variable.
// Lists are comma-separated. A variable that is empty (or only spaces)
// counts as unset, so `-e GUIDEBOT_X=` in a container file changes nothing.
func (c *Config) applyEnv(lookup func(string) (string, bool)) Problems {
	var probs Problems
	root := reflect.ValueOf(c).Elem()
	for i := range root.NumField() {
		section := yamlName(root.Type().Field(i))
		if section == "" {
			continue
		}
		sv := root.Field(i)
		for j := range sv.NumField() {
			key := yamlName(sv.Type().Field(j))
			if key == "" {
				continue
			}
			env := "GUIDEBOT_" + strings.ToUpper(section+"_"+key)
			raw, ok := lookup(env)
			if !ok || strings.TrimSpace(raw) == "" {
				continue
			}
			full := section + "." + key
			p := Problem{Env: env, Key: full}
			c.pos[full] = p
			f := sv.Field(j)
			if f.Type() == durationType {
				d, err := time.ParseDuration(strings.TrimSpace(raw))
				if err != nil {
					p.Message = "expected a duration such as 10s or 1m30s"
					probs = append(probs, p)
					continue
				}
				f.SetInt(int64(d))
				continue
			}
			switch f.Kind() {
			case reflect.String:
				f.SetString(raw)
			case reflect.Int:
				n, err := strconv.Atoi(strings.TrimSpace(raw))
				if err != nil {
					p.Message = "expected an integer"
					probs = append(probs, p)
					continue
				}
				f.SetInt(int64(n))
			case reflect.Bool:
				b, err := strconv.ParseBool(strings.TrimSpace(raw))
				if err != nil {
					p.Message = "expected true or false"
					probs = append(probs, p)
					continue
				}
				f.SetBool(b)
			case reflect.Slice:
				list := []string{}
				for item := range strings.SplitSeq(raw, ",") {
					if item = strings.TrimSpace(item); item != "" {
						list = append(list, item)
					}
				}
				f.Set(reflect.ValueOf(list))
			}
		}
	}
	return probs
}
