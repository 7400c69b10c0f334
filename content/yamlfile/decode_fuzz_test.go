package yamlfile

import (
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic, and
// every problem must have a file, a message and, unless it is about the
// whole file, a line.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"name: a\nport: 80\nsub: {name: b}\n",
		"\"\": x\n",
		"{'': ~, ~: ~, [a]: b, {a: b}: c}\n",
		"limits: {'': 1, ~: 2, [x]: 3}\n",
		"tags: [~, [], {}, *a]\n",
		"name: &a [*a]\n",
		"<<: {name: a}\n",
		"--- a\n--- b\n",
		"\xef\xbb\xbfname: a\x00",
		"since: !!timestamp 2025-01-01T00:00:00Z\nport: 0x10\nratio: .nan\n",
		"small: -1\nport: 99999999999999999999\n",
		"name: |\n  \n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v sample
		doc, ps := DecodeDoc("f.yaml", data, &v)
		for _, p := range ps {
			if p.File != "f.yaml" || p.Msg == "" || (p.Line == 0 && p.Column != 0) {
				t.Errorf("bad problem %+v", p)
			}
			if strings.Contains(p.Msg, "internal error") {
				t.Errorf("internal error: %v", p)
			}
		}
		if doc != nil {
			_ = doc.At("sub.name").String()
		}
		var m map[string]any
		_ = Decode("f.yaml", data, &m)
	})
}
