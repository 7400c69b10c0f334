package config

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/guidebot/guidebot/content/yamlfile"
)

// Problem and Problems are the shared YAML decoder's: config and content
// report their problems the same way (file:line:col: key: message; an
// environment variable in place of the file when it set the key).
type (
	Problem  = yamlfile.Problem
	Problems = yamlfile.Problems
)

// Duration is a time.Duration written as Go writes it: 10s, 1m30s.
type Duration time.Duration

// DecodeYAMLScalar parses s with time.ParseDuration.
func (d *Duration) DecodeYAMLScalar(s string, _ yamlfile.Pos) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return yamlfile.SafeMessage("expected a duration such as 10s or 1m30s")
	}
	*d = Duration(v)
	return nil
}

// quoted matches the parts of a YAML syntax error that quote the file (an
// anchor's name, a tag, a character): a secret may start there.
var quoted = regexp.MustCompile("'[^']*'|`[^`]*`|\"[^\"]*\"")

// decode reads data over c's current values with the shared decoder: every
// key is optional (the defaults stay), unknown keys are problems, and no
// value is ever quoted: a secret may sit under the wrong key.
func (c *Config) decode(data []byte) Problems {
	doc, probs := yamlfile.Options{AllowEmpty: true, Secret: true}.DecodeDoc(c.file, data, c)
	c.doc = doc
	if doc == nil {
		// unreadable YAML: the parser's message may quote the file
		for i := range probs {
			probs[i].Msg = strings.Join(strings.Fields(quoted.ReplaceAllString(probs[i].Msg, "")), " ")
		}
	}
	return probs
}

// at is where key was set: its value in the file, the environment variable
// that set it, or the configuration as a whole when it is a default.
func (c *Config) at(key string) yamlfile.Pos {
	if env, ok := c.env[key]; ok {
		return yamlfile.Pos{File: "$" + env}
	}
	if c.doc != nil && c.doc.Has(key) {
		return c.doc.ValueAt(key)
	}
	if c.file == "" {
		return yamlfile.Pos{File: "config"}
	}
	return yamlfile.Pos{File: c.file}
}

// problem is msg about key, located where key was set.
func (c *Config) problem(key, msg string) Problem {
	return c.at(key).Problemf("%s: %s", key, msg)
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "" || tag == "-" || !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	return name
}

var durationType = reflect.TypeFor[Duration]()

// applyEnv sets every key that has a GUIDEBOT_<SECTION>_<KEY> variable.
// Lists are comma-separated. A variable that is empty (or only spaces)
// counts as unset, so `-e GUIDEBOT_X=` in a container file changes nothing.
func (c *Config) applyEnv(lookup func(string) (string, bool)) Problems {
	var probs Problems
	if c.env == nil {
		c.env = map[string]string{}
	}
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
			c.env[full] = env
			if msg := setFromEnv(sv.Field(j), raw); msg != "" {
				probs = append(probs, c.problem(full, msg))
			}
		}
	}
	return probs
}

// setFromEnv sets f from an environment variable's text, or says why not.
func setFromEnv(f reflect.Value, raw string) string {
	trimmed := strings.TrimSpace(raw)
	if f.Type() == durationType {
		if err := f.Addr().Interface().(*Duration).DecodeYAMLScalar(trimmed, yamlfile.Pos{}); err != nil {
			return err.Error()
		}
		return ""
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(trimmed)
		if err != nil {
			return "expected a whole number"
		}
		f.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(trimmed)
		if err != nil {
			return "expected true or false"
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
	return ""
}
