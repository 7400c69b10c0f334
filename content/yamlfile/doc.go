// Package yamlfile decodes one YAML file strictly into Go structs and reports
// every problem at once, each as file:line:col: message.
//
//	var cfg Config                             // fields tagged `yaml:"name"`, `yaml:"name,omitempty"` when optional
//	doc, probs := yamlfile.DecodeDoc("config.yaml", data, &cfg)
//	if doc != nil && cfg.Port == 0 { probs = append(probs, doc.At("port").Problemf("port: must be set")) }
//	if err := probs.Err(); err != nil { return err } // sorted, one problem per line
//	// Decode(file, data, &v) is the same without the Doc.
//
// What it checks: unknown fields (with "did you mean"), duplicate keys,
// missing required fields (a field is required unless tagged omitempty; an
// empty string counts as missing), wrong kinds, whole numbers, booleans,
// dates (Date, YYYY-MM-DD) and http(s) URLs (URL). Aliases, custom tags and
// more than one document per file are refused. `yaml:",inline"` flattens a
// struct's fields into its parent; a field of type Pos receives the position
// of the mapping it belongs to; `desc:"English text"` names a field in
// "missing" messages; `secret:"true"` keeps a field's value out of messages.
//
// Hooks for callers' own types: a string type with a Values method (Enum) only
// accepts those values; a type whose pointer has DecodeYAMLScalar (Scalar)
// parses its own scalar. Checks that span fields or files use the Doc's
// positions (At, ValueAt, Decoded) after decoding.
package yamlfile
