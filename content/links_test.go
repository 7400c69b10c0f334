package content

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// builtinFS copies the built-in data into a map that a test may edit.
func builtinFS(t *testing.T) fstest.MapFS {
	t.Helper()
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLoadSourceLink: the card's "source code" link and its open-source
// criterion tell one story.
func TestLoadSourceLink(t *testing.T) {
	const signal = "messengers/signal.yaml"
	tests := []struct {
		name string
		mut  func(testing.TB, fstest.MapFS)
		want string // a problem the load must report; "" for none
	}{
		{"open source with its link", func(testing.TB, fstest.MapFS) {}, ""},
		{"open source without a link",
			edit(signal, "  source: https://github.com/signalapp\n  docs:", "  docs:"),
			"links.source: the apps are open source (criteria.open-source-clients: yes), so link to their code"},
		{"closed source with a link",
			edit(signal, "  open-source-clients:\n    value: yes\n    source: https://github.com/signalapp\n",
				"  open-source-clients:\n    value: no\n    note: {en: x, fr: y}\n    source: https://github.com/signalapp\n"),
			"links.source: the apps' code is not published (criteria.open-source-clients: no); leave the link out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := builtinFS(t)
			tc.mut(t, m)
			_, err := Load(m)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("load failed:\n%v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a problem %q", err, tc.want)
			}
		})
	}
}
