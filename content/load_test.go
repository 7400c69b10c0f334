package content

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// fixture returns the small valid content set in testdata/valid as a MapFS
// that a test may change.
func fixture(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := "testdata/valid"
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(root, p))
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// edit replaces old by new in file; old must occur exactly once, so that a
// fixture change cannot silently turn a case into a no-op.
func edit(file, old, new string) func(testing.TB, fstest.MapFS) {
	return func(t testing.TB, m fstest.MapFS) {
		t.Helper()
		f := m[file]
		if f == nil {
			t.Fatalf("no file %s in the fixture", file)
		}
		if n := strings.Count(string(f.Data), old); n != 1 {
			t.Fatalf("%s: %q occurs %d times, want once", file, old, n)
		}
		f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
	}
}

func write(file, data string) func(testing.TB, fstest.MapFS) {
	return func(_ testing.TB, m fstest.MapFS) { m[file] = &fstest.MapFile{Data: []byte(data)} }
}

func remove(file string) func(testing.TB, fstest.MapFS) {
	return func(_ testing.TB, m fstest.MapFS) { delete(m, file) }
}

func rename(from, to string) func(testing.TB, fstest.MapFS) {
	return func(_ testing.TB, m fstest.MapFS) { m[to] = m[from]; delete(m, from) }
}

func TestLoadFixture(t *testing.T) {
	s, err := Load(fixture(t))
	if err != nil {
		t.Fatalf("the valid fixture does not load:\n%v", err)
	}
	if got := s.Version(); got != "2025-03-04-beta-removed" {
		t.Errorf("Version = %q", got)
	}
	a := s.Messenger("alpha")
	if a == nil {
		t.Fatal("no alpha")
	}
	if a.Pos != (Pos{File: "messengers/alpha.yaml", Line: 1, Column: 1}) {
		t.Errorf("alpha.Pos = %v", a.Pos)
	}
	if a.Summary.Pos != (Pos{File: "messengers/alpha.yaml", Line: 12, Column: 3}) {
		t.Errorf("alpha.Summary.Pos = %v", a.Summary.Pos)
	}
	if a.Reviewed.Pos != (Pos{File: "messengers/alpha.yaml", Line: 4, Column: 11}) || a.Reviewed.String() != "2026-11-25" {
		t.Errorf("alpha.Reviewed = %v at %v", a.Reviewed, a.Reviewed.Pos)
	}
	if a.Tor.Note == nil || a.Tor.Note.FR != "En option." {
		t.Errorf("alpha.Tor.Note = %+v", a.Tor.Note)
	}
	b := s.Messenger("beta")
	if b.E2EE.Calls.Value != NA || b.Links.Docs != "https://example.org/beta/docs" || b.Network.Decentralized != Yes {
		t.Errorf("beta decoded wrong: %+v", b)
	}
	if len(s.Networks) != 2 || s.Networks[1].Name.FR != "Pair-à-pair" {
		t.Errorf("networks decoded wrong: %+v", s.Networks)
	}
}

func TestLoadProblems(t *testing.T) {
	const (
		alpha = "messengers/alpha.yaml"
		beta  = "messengers/beta.yaml"
	)
	tests := []struct {
		name string
		mut  func(testing.TB, fstest.MapFS)
		want string // Problems.Error(), one problem per line
	}{
		{"unknown field",
			edit(alpha, "name: Alpha\n", "name: Alpha\ncolour: red\n"),
			`messengers/alpha.yaml:3:1: unknown field "colour"`},
		{"misspelt field",
			edit(alpha, "summary:\n", "sumary:\n"),
			`messengers/alpha.yaml:1:1: missing field "summary"` + "\n" +
				`messengers/alpha.yaml:11:1: unknown field "sumary" (did you mean "summary"?)`},
		{"unknown nested field",
			edit(alpha, "  homepage:", "  home: https://x.org\n  homepage:"),
			`messengers/alpha.yaml:60:3: links: unknown field "home"`},
		{"duplicate field",
			edit(alpha, "name: Alpha\n", "name: Alpha\nname: Alpha 2\n"),
			`messengers/alpha.yaml:3:1: duplicate field "name" (first at line 2)`},
		{"list instead of text",
			edit(alpha, "aliases: [alpha, alpha chat]", "aliases: alpha"),
			`messengers/alpha.yaml:3:10: aliases: expected a list, found "alpha"`},
		{"mapping instead of list",
			edit(alpha, "  list: [android, ios]", "  list: {android: yes}"),
			`messengers/alpha.yaml:41:9: platforms.list: expected a list, found a mapping`},
		{"text instead of mapping",
			edit(beta, "protocol: {en: Beta protocol., fr: Protocole Beta., source: https://example.org/beta/protocol}", "protocol: Beta protocol"),
			`messengers/beta.yaml:21:11: protocol: expected a mapping, found "Beta protocol"`},
		{"missing French text",
			edit(beta, "fr: Une autre., ", ""),
			`messengers/beta.yaml:15:1: summary: missing French text (fr)`},
		{"empty English text",
			edit(alpha, "en: A test messenger.", `en: ""`),
			`messengers/alpha.yaml:12:7: summary: missing English text (en)`},
		{"null French text in a list",
			edit(alpha, "fr: Exige un numéro.", "fr:"),
			`messengers/alpha.yaml:51:5: caveats[0]: missing French text (fr)`},
		{"missing required field",
			edit(alpha, "  source: https://example.org/alpha/platforms\n", ""),
			`messengers/alpha.yaml:40:1: platforms: missing field "source"`},
		{"missing fact value",
			edit(alpha, "groups: {value: yes, ", "groups: {"),
			`messengers/alpha.yaml:26:3: e2ee.groups: missing field "value"`},
		{"empty fact value",
			edit(alpha, "groups: {value: yes, ", `groups: {value: "", `),
			`messengers/alpha.yaml:26:19: e2ee.groups: missing field "value"`},
		{"relative URL",
			edit(alpha, "homepage: https://alpha.example.org", "homepage: alpha.example.org"),
			`messengers/alpha.yaml:60:13: links.homepage: "alpha.example.org" is not an absolute http(s) URL`},
		{"ftp URL",
			edit(beta, "docs: https://example.org/beta/docs", "docs: ftp://example.org/beta/docs"),
			`messengers/beta.yaml:51:9: links.docs: "ftp://example.org/beta/docs" is not an absolute http(s) URL`},
		{"URL without host",
			edit("criteria.yaml", "source: https://example.org/criteria", "source: https:///criteria"),
			`criteria.yaml:2:9: source: "https:///criteria" has no valid host`},
		{"URL with a space",
			edit("changes.yaml", "source: https://example.org/changes/1", "source: https://example.org/a b"),
			`changes.yaml:6:13: changes[0].source: "https://example.org/a b" is not a valid URL`},
		{"impossible date",
			edit(alpha, "reviewed: 2026-11-25", "reviewed: 2026-11-31"),
			`messengers/alpha.yaml:4:11: reviewed: expected a date written YYYY-MM-DD, found "2026-11-31"`},
		{"date in another format",
			edit("criteria.yaml", "version: 2025-05-16", "version: 16/05/2025"),
			`criteria.yaml:1:10: version: expected a date written YYYY-MM-DD, found "16/05/2025"`},
		{"date without leading zeros",
			edit(beta, "date: 2023-01-01", "date: 2023-1-1"),
			`messengers/beta.yaml:7:11: status_history[0].date: expected a date written YYYY-MM-DD, found "2023-1-1"`},
		{"bad status",
			edit(alpha, "status: recommended\nstatus_history", "status: recomended\nstatus_history"),
			`messengers/alpha.yaml:5:9: status: unknown value "recomended" (want one of: recommended, additional, not-recommended, not-listed)`},
		{"bad support value",
			edit(alpha, "forward_secrecy: {value: yes,", "forward_secrecy: {value: maybe,"),
			`messengers/alpha.yaml:28:26: forward_secrecy.value: unknown value "maybe" (want one of: yes, partial, no, n/a, unknown)`},
		{"bad platform",
			edit(alpha, "list: [android, ios]", "list: [android, ios, symbian]"),
			`messengers/alpha.yaml:41:24: platforms.list[2]: unknown value "symbian" (want one of: android, ios, windows, macos, linux, web)`},
		{"duplicate platform",
			edit(alpha, "list: [android, ios]", "list: [android, ios, android]"),
			`messengers/alpha.yaml:41:24: platforms.list[2]: duplicate platform "android"`},
		{"no platform",
			edit(alpha, "list: [android, ios]", "list: []"),
			`messengers/alpha.yaml:41:3: platforms.list: needs at least one platform`},
		{"bad identifier kind",
			edit(alpha, "kind: phone", "kind: email"),
			`messengers/alpha.yaml:37:9: identifier.kind: unknown value "email" (want one of: phone, username, random-id, none)`},
		{"criterion contradicting the card",
			edit(alpha, "forward-secrecy: {value: yes,", "forward-secrecy: {value: no, note: {en: x, fr: y},"),
			`messengers/alpha.yaml:54:28: criteria.forward-secrecy: no contradicts forward_secrecy.value (yes) on the same card; one fact, one value`},
		{"a value without its source",
			edit(alpha, "future_secrecy: {value: no, source: https://example.org/alpha/fs}", "future_secrecy: {value: no}"),
			`messengers/alpha.yaml:29:1: future_secrecy: missing source (only an unknown value may go without one)`},
		{"bad audit kind",
			edit(alpha, "kind: audit", "kind: review"),
			`messengers/alpha.yaml:44:11: audits[0].kind: unknown value "review" (want one of: audit, analysis, findings)`},
		{"decentralized written as a bool",
			edit(alpha, "decentralized: no", "decentralized: false"),
			`messengers/alpha.yaml:17:18: network.decentralized: unknown value "false" (want one of: yes, partial, no, n/a, unknown)`},
		{"year not a number",
			edit(alpha, "year: 2020", "year: twenty"),
			`messengers/alpha.yaml:46:11: audits[0].year: expected a whole number, found "twenty"`},
		{"implausible year",
			edit(alpha, "year: 2020", "year: 1820"),
			`messengers/alpha.yaml:46:11: audits[0].year: 1820 is not a plausible year`},
		{"empty list item",
			edit(alpha, "aliases: [alpha, alpha chat]", "aliases: [alpha, ~]"),
			`messengers/alpha.yaml:3:18: aliases[1]: empty list item`},
		{"YAML alias",
			func(t testing.TB, m fstest.MapFS) {
				edit(alpha, "reviewed: 2026-11-25", "reviewed: &d 2026-11-25")(t, m)
				edit(alpha, "  - date: 2024-01-02", "  - date: *d")(t, m)
			},
			`messengers/alpha.yaml:7:11: status_history[0].date: YAML aliases (*d) are not supported; write the value out`},
		{"partial without note",
			edit(alpha, "  note: {en: Optional., fr: En option.}\n", ""),
			`messengers/alpha.yaml:32:1: tor: a partial value needs a note saying what is missing`},
		{"dangling network type",
			edit(alpha, "types: [centralized]", "types: [federated]"),
			`messengers/alpha.yaml:16:11: network.types[0]: unknown network type "federated" (known: centralized, p2p)`},
		{"repeated network type",
			edit(beta, "types: [p2p]", "types: [p2p, p2p]"),
			`messengers/beta.yaml:17:16: network.types[1]: duplicate network type "p2p"`},
		{"dangling criterion",
			edit(alpha, "  forward-secrecy: {value: yes", "  forward-secrecy2: {value: yes"),
			`messengers/alpha.yaml:54:3: criteria: unknown criterion "forward-secrecy2" (known: decentralized, forward-secrecy)`},
		{"missing criterion",
			edit("criteria.yaml", "best_case:\n", "  - id: audit\n    text: {en: Audited., fr: Audité.}\nbest_case:\n"),
			`messengers/alpha.yaml:53:1: criteria: no result for criterion "audit"` + "\n" +
				`messengers/beta.yaml:41:1: criteria: no result for criterion "audit"`},
		{"listed without history",
			edit(alpha, "status_history:\n  - date: 2024-01-02\n    status: recommended\n    reason: {en: Added., fr: Ajoutée.}\n    source: https://example.org/alpha/history\n", ""),
			`messengers/alpha.yaml:5:1: status: a recommended messenger needs its status_history on Privacy Guides' list`},
		{"not listed with a history",
			edit(alpha, "status: recommended\nstatus_history:", "status: not-listed\nstatus_history:"),
			`messengers/alpha.yaml:6:1: status_history: a not-listed messenger has no history on Privacy Guides' list (one removed from it is not-recommended)` + "\n" +
				`messengers/alpha.yaml:8:13: status_history[0].status: the last entry is "recommended" but status is "not-listed"`},
		{"not listed as a step",
			edit(beta, "    status: additional\n", "    status: not-listed\n"),
			`messengers/beta.yaml:8:13: status_history[0].status: not-listed is not a step on Privacy Guides' list`},
		{"criterion failed without note",
			edit(beta, "    note: {en: None., fr: Aucune.}\n", ""),
			`messengers/beta.yaml:42:3: criteria.forward-secrecy: a no result needs a note saying why`},
		{"dangling messenger in changes",
			edit("changes.yaml", "messengers: [beta]", "messengers: [gamma]"),
			`changes.yaml:9:18: changes[1].messengers[0]: unknown messenger "gamma" (known: alpha, beta)`},
		{"duplicate change id",
			edit("changes.yaml", "id: 2025-03-04-beta-removed", "id: 2024-01-02-alpha-added"),
			`changes.yaml:7:9: changes[1].id: duplicate change id "2024-01-02-alpha-added"` + "\n" +
				`changes.yaml:7:9: changes[1].id: "2024-01-02-alpha-added" must start with the entry's date (2025-03-04-)`},
		{"change id without date",
			edit("changes.yaml", "id: 2025-03-04-beta-removed", "id: beta-removed"),
			`changes.yaml:7:9: changes[1].id: "beta-removed" must start with the entry's date (2025-03-04-)`},
		{"bad id",
			edit("criteria.yaml", "id: decentralized", "id: Decentralized!"),
			`criteria.yaml:7:9: best_case[0].id: "Decentralized!" is not a valid id (lower-case letters, digits and dashes)` + "\n" +
				`messengers/alpha.yaml:53:1: criteria: no result for criterion "Decentralized!"` + "\n" +
				`messengers/alpha.yaml:55:3: criteria: unknown criterion "decentralized" (known: Decentralized!, forward-secrecy)` + "\n" +
				`messengers/beta.yaml:41:1: criteria: no result for criterion "Decentralized!"` + "\n" +
				`messengers/beta.yaml:46:3: criteria: unknown criterion "decentralized" (known: Decentralized!, forward-secrecy)`},
		{"duplicate network id",
			edit("networks.yaml", "id: p2p", "id: centralized"),
			`messengers/beta.yaml:17:11: network.types[0]: unknown network type "p2p" (known: centralized)` + "\n" +
				`networks.yaml:11:9: networks[1].id: duplicate network type id "centralized"`},
		{"duplicate network name",
			edit("networks.yaml", "aliases: []", "aliases: [central]"),
			`networks.yaml:13:15: networks[1].aliases[0]: "central" is already a name of network type "centralized"`},
		{"alias taken by another messenger",
			edit(beta, "aliases: [beta]", "aliases: [beta, Alpha Chat]"),
			`messengers/beta.yaml:3:17: aliases[1]: "Alpha Chat" is already a name of alpha (messengers/alpha.yaml:3:18)`},
		{"alias repeated",
			edit(alpha, "aliases: [alpha, alpha chat]", "aliases: [alpha, alpha chat, alpha-chat]"),
			`messengers/alpha.yaml:3:30: aliases[2]: duplicate alias "alpha-chat"`},
		{"alias with no letters",
			edit(alpha, "aliases: [alpha, alpha chat]", "aliases: [alpha, ' - ']"),
			`messengers/alpha.yaml:3:18: aliases[1]: "-" has no letters or digits`},
		{"history out of order",
			edit(beta, "date: 2023-01-01", "date: 2025-06-01"),
			`messengers/beta.yaml:11:11: status_history[1].date: 2025-03-04 is before the previous entry (2025-06-01); list the history oldest first`},
		{"history not ending with the status",
			edit(alpha, "status: recommended\nstatus_history", "status: additional\nstatus_history"),
			`messengers/alpha.yaml:8:13: status_history[0].status: the last entry is "recommended" but status is "additional"`},
		{"empty history",
			edit(beta, "status_history:\n  - date: 2023-01-01\n    status: additional\n    reason: {en: Demoted., fr: Rétrogradée.}\n    source: https://example.org/beta/history\n  - date: 2025-03-04\n    status: not-recommended\n    reason: {en: Removed., fr: Retirée.}\n    source: https://example.org/beta/history\n", "status_history: []\n"),
			`messengers/beta.yaml:6:1: status_history: needs at least one entry`},
		{"file name does not match id",
			rename(alpha, "messengers/alfa.yaml"),
			`messengers/alfa.yaml:1:5: id: "alpha" does not match the file name (want alpha.yaml or id "alfa")`},
		{"missing file",
			remove("criteria.yaml"),
			`criteria.yaml: missing file`},
		{"no messengers",
			func(t testing.TB, m fstest.MapFS) { remove(alpha)(t, m); remove(beta)(t, m) },
			`messengers: missing directory`},
		{"unexpected file",
			write("messengers/notes.txt", "hello"),
			`messengers/notes.txt: unexpected file: messengers/ holds only <id>.yaml files`},
		{"misnamed file",
			rename("networks.yaml", "network.yaml"),
			`network.yaml: unexpected file: the content directory holds networks.yaml, criteria.yaml, changes.yaml and messengers/` + "\n" +
				`networks.yaml: missing file`},
		{"empty file",
			write(beta, ""),
			`messengers/beta.yaml:1:1: empty file`},
		{"two documents",
			edit("criteria.yaml", "best_case:", "---\nbest_case:"),
			`criteria.yaml:6:1: only one YAML document is allowed per file`},
		{"YAML syntax error",
			edit("networks.yaml", "  - id: p2p", "  - id: p2p: x"),
			`networks.yaml:11:1: invalid YAML: mapping values are not allowed in this context`},
		{"top level is a list",
			write("networks.yaml", "- centralized\n- p2p\n"),
			`networks.yaml:1:1: expected a mapping, found a list`},
		{"custom tag",
			edit(alpha, "name: Alpha", "name: !secret Alpha"),
			`messengers/alpha.yaml:2:7: name: unsupported YAML tag !secret`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := fixture(t)
			tc.mut(t, m)
			s, err := Load(m)
			if err == nil {
				t.Fatalf("Load succeeded, want:\n%s", tc.want)
			}
			if s != nil {
				t.Errorf("Load returned a set along with an error")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want Problems", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestLoadNotListed(t *testing.T) {
	m := fixture(t)
	edit("messengers/alpha.yaml", "status: recommended\nstatus_history:\n  - date: 2024-01-02\n    status: recommended\n    reason: {en: Added., fr: Ajoutée.}\n    source: https://example.org/alpha/history\n", "status: not-listed\n")(t, m)
	s, err := Load(m)
	if err != nil {
		t.Fatalf("a not-listed card without history does not load:\n%v", err)
	}
	a := s.Messenger("alpha")
	if a.Status != NotListed || a.StatusHistory != nil {
		t.Errorf("alpha: status %s, history %v", a.Status, a.StatusHistory)
	}
	if last := s.Messengers[len(s.Messengers)-1]; last != a {
		t.Errorf("not-listed should sort last, after %s", last.ID)
	}
	if fit, _ := s.Recommend(nil); slices.Contains(fit, a) {
		t.Error("a not-listed messenger is recommended")
	}
}

// TestLoadMirroredCriterion: a criterion the card states elsewhere may be
// left out, and then takes that fact.
func TestLoadMirroredCriterion(t *testing.T) {
	m := fixture(t)
	edit("messengers/alpha.yaml", "  decentralized:\n    value: no\n    note: {en: One operator., fr: Un seul opérateur.}\n    source: https://example.org/alpha/network\n", "")(t, m)
	s, err := Load(m)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Messenger("alpha")
	if got := a.Criteria["decentralized"]; got.Value != a.Network.Decentralized || got.Source != a.Network.Source {
		t.Errorf("derived decentralized = %+v, want the network's", got)
	}
}

func TestLoadDir(t *testing.T) {
	if _, err := LoadDir("testdata/valid"); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir("testdata/no-such-dir")
	if err == nil || !strings.Contains(err.Error(), "testdata/no-such-dir: cannot read the content directory") {
		t.Errorf("LoadDir of a missing directory: %v", err)
	}
	_, err = LoadDir("testdata/valid/criteria.yaml")
	if err == nil || err.Error() != "testdata/valid/criteria.yaml: not a directory" {
		t.Errorf("LoadDir of a file: %v", err)
	}
}

func TestProblemsSorted(t *testing.T) {
	ps := Problems{
		{File: "b.yaml", Line: 2, Column: 1, Msg: "four"},
		{File: "a.yaml", Line: 10, Column: 3, Msg: "three"},
		{File: "a.yaml", Line: 2, Column: 5, Msg: "two"},
		{File: "a.yaml", Line: 0, Column: 0, Msg: "one"},
	}
	ps.Sort()
	want := "a.yaml: one\na.yaml:2:5: two\na.yaml:10:3: three\nb.yaml:2:1: four"
	if got := ps.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzLoad replaces one file of the fixture with arbitrary bytes: loading
// must never panic, and must either fail with positioned problems or give a
// usable set.
func FuzzLoad(f *testing.F) {
	files := []string{"networks.yaml", "criteria.yaml", "changes.yaml", "messengers/alpha.yaml", "messengers/beta.yaml"}
	base := fixture(f)
	for i, name := range files {
		f.Add(uint8(i), base[name].Data)
	}
	// The real data are richer seeds than the fixture.
	for i, name := range []string{"networks.yaml", "criteria.yaml", "changes.yaml", "messengers/briar.yaml", "messengers/element.yaml"} {
		b, err := embedded.ReadFile("data/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(3), []byte("id: alpha\nname: &a Alpha\naliases: [*a, *a]\n"))
	f.Add(uint8(0), []byte("networks:\n  - &x {id: a}\n  - *x\n"))
	f.Add(uint8(2), []byte("changes: [~, {}, [], 1]\n"))
	f.Add(uint8(4), []byte("--- a\n--- b\n"))
	f.Add(uint8(1), []byte("\xef\xbb\xbfversion: 2025-05-16\x00"))

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := maps.Clone(base) // entries are replaced, never changed in place
		name := files[int(which)%len(files)]
		m[name] = &fstest.MapFile{Data: data}
		s, err := Load(m)
		if err != nil {
			if s != nil {
				t.Fatal("a set along with an error")
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %v is not a non-empty Problems", err, err)
			}
			for _, p := range ps {
				if p.File == "" || p.Msg == "" {
					t.Errorf("problem without a file or message: %+v", p)
				}
				// A recovered panic is reported as an internal error; the
				// fuzzer should find none.
				if strings.Contains(p.Msg, "internal error") {
					t.Errorf("internal error: %v", p)
				}
			}
			_ = err.Error()
			return
		}
		// A valid set is usable: every messenger resolves by id and has a
		// result for every criterion.
		for _, msg := range s.Messengers {
			if got, _ := s.Resolve(msg.ID); got != msg {
				t.Errorf("Resolve(%q) = %v", msg.ID, got)
			}
			for _, c := range append(slices.Clone(s.Criteria.Minimum), s.Criteria.BestCase...) {
				if _, ok := msg.Criteria[c.ID]; !ok {
					t.Errorf("%s has no result for %s", msg.ID, c.ID)
				}
			}
		}
		s.Recommend(Needs)
		_ = s.Version()
	})
}
