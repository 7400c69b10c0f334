package content

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestResolve(t *testing.T) {
	s := builtinSet(t)
	tests := []struct {
		in, id, suggestion string
	}{
		{"signal", "signal", ""},
		{"Signal", "signal", ""},
		{"SIGNAL", "signal", ""},
		{"  signal ", "signal", ""},
		{"molly", "molly", ""},
		{"molly-foss", "molly", ""},
		{"Molly FOSS", "molly", ""},
		{"element", "element", ""},
		{"matrix", "element", ""},
		{"Riot", "element", ""},
		{"element x", "element", ""},
		{"Element-X", "element", ""},
		{"Élément", "element", ""},
		{"simplex", "simplex", ""},
		{"SimpleX Chat", "simplex", ""},
		{"simplex-chat", "simplex", ""},
		{"simplexchat", "simplex", ""},
		{"briar", "briar", ""},
		{"BRÏAR", "briar", ""},
		{"session", "session", ""},
		{"oxen", "session", ""},
		// Near misses suggest; far ones do not.
		{"sigal", "", "signal"},
		{"signla", "", "signal"},
		{"brair", "", "briar"},
		{"sesion", "", "session"},
		{"simplx", "", "simplex"},
		{"sim", "", "simplex"}, // a prefix of three letters or more
		{"xyz", "", ""},
		{"telegram", "telegram", ""},
		{"tg", "telegram", ""},
		{"wa", "whatsapp", ""},
		{"FB Messenger", "facebook-messenger", ""},
		{"xmpp", "conversations", ""},
		{"omemo", "conversations", ""},
		{"delta-chat", "deltachat", ""},
		{"viber", "", ""},
		{"", "", ""},
		{"!!!", "", ""},
	}
	for _, tc := range tests {
		m, sug := s.Resolve(tc.in)
		if id(m) != tc.id || id(sug) != tc.suggestion {
			t.Errorf("Resolve(%q) = %q, suggestion %q; want %q, %q", tc.in, id(m), id(sug), tc.id, tc.suggestion)
		}
	}
}

func id(m *Messenger) string {
	if m == nil {
		return ""
	}
	return m.ID
}

func TestFindNeed(t *testing.T) {
	tests := map[string]string{
		"no-phone":                    "no-phone",
		"No Phone":                    "no-phone",
		"sans-telephone":              "no-phone",
		"sans téléphone":              "no-phone",
		"iOS":                         "ios",
		"iphone":                      "ios",
		"hors-ligne":                  "offline",
		"Hors ligne":                  "offline",
		"pfs":                         "forward-secrecy",
		"confidentialité-persistante": "forward-secrecy",
		"décentralisé":                "decentralized",
		"pair-à-pair":                 "p2p",
		"appels":                      "calls",
		"serveur-libre":               "open-source-server",
		"xyz":                         "",
		"":                            "",
	}
	for in, want := range tests {
		got := ""
		if n := FindNeed(in); n != nil {
			got = n.ID
		}
		if got != want {
			t.Errorf("FindNeed(%q) = %q, want %q", in, got, want)
		}
	}
	// Every need and alias resolves to itself: no alias shadows another need.
	for _, n := range Needs {
		for _, name := range append([]string{n.ID}, n.Aliases...) {
			if got := FindNeed(name); got != n {
				t.Errorf("FindNeed(%q) = %v, want %s", name, got, n.ID)
			}
		}
		if n.Name.EN == "" || n.Name.FR == "" || n.Fails.EN == "" || n.Fails.FR == "" {
			t.Errorf("need %s lacks a text", n.ID)
		}
	}
}

func needs(t *testing.T, names ...string) []*Need {
	t.Helper()
	var ns []*Need
	for _, name := range names {
		n := FindNeed(name)
		if n == nil {
			t.Fatalf("no need %q", name)
		}
		ns = append(ns, n)
	}
	return ns
}

func ids(ms []*Messenger) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// leftOut renders Recommend's left-out list as "id:need+need".
func leftOut(left []Left) []string {
	var out []string
	for _, l := range left {
		var fs []string
		for _, n := range l.Failed {
			fs = append(fs, n.ID)
		}
		out = append(out, l.Messenger.ID+":"+strings.Join(fs, "+"))
	}
	return out
}

func TestRecommend(t *testing.T) {
	s := builtinSet(t)
	tests := []struct {
		needs []string
		fit   []string
		left  []string
	}{
		// No needs: the general recommendation, most best-case criteria first.
		{nil,
			[]string{"signal", "molly", "simplex", "briar"},
			[]string{"element:", "session:"}},
		{[]string{"no-phone", "ios"},
			[]string{"simplex"},
			[]string{"signal:no-phone", "molly:no-phone+ios", "briar:ios", "element:", "session:"}},
		{[]string{"offline"},
			[]string{"briar"},
			[]string{"signal:offline", "molly:offline", "simplex:offline", "element:offline", "session:offline"}},
		{[]string{"tor"},
			[]string{"molly", "simplex", "briar"},
			[]string{"signal:tor", "element:tor", "session:tor"}},
		{[]string{"calls"},
			[]string{"signal", "molly", "simplex"},
			[]string{"briar:calls", "element:", "session:"}},
		{[]string{"forward-secrecy"},
			[]string{"signal", "molly", "simplex", "briar"},
			[]string{"element:forward-secrecy", "session:forward-secrecy"}},
		{[]string{"federated"},
			nil,
			[]string{"signal:federated", "molly:federated", "simplex:federated", "briar:federated", "element:", "session:federated"}},
		{[]string{"p2p"},
			[]string{"briar"},
			[]string{"signal:p2p", "molly:p2p", "simplex:p2p", "element:p2p", "session:p2p"}},
		{[]string{"decentralized", "desktop"},
			[]string{"simplex", "briar"},
			[]string{"signal:decentralized", "molly:decentralized+desktop", "element:", "session:"}},
		{[]string{"macos"},
			[]string{"signal", "simplex"},
			[]string{"molly:macos", "briar:macos", "element:", "session:"}},
		{[]string{"open-source-server", "groups"},
			[]string{"signal", "molly", "simplex", "briar"},
			[]string{"element:", "session:"}},
	}
	unlisted := 0
	for _, m := range s.Messengers {
		if !m.Status.Listed() {
			unlisted++
		}
	}
	for _, tc := range tests {
		fit, left := s.Recommend(needs(t, tc.needs...))
		if got := ids(fit); !slices.Equal(got, tc.fit) {
			t.Errorf("Recommend(%v) fit = %v, want %v", tc.needs, got, tc.fit)
		}
		// Those not on the list are always left out, whatever they meet;
		// which needs they miss is their cards' business.
		listed := slices.DeleteFunc(slices.Clone(left), func(l Left) bool { return !l.Messenger.Status.Listed() })
		if got := leftOut(listed); !slices.Equal(got, tc.left) {
			t.Errorf("Recommend(%v) left = %v, want %v", tc.needs, got, tc.left)
		}
		if n := len(left) - len(listed); n != unlisted {
			t.Errorf("Recommend(%v) leaves out %d not-listed messengers, want all %d", tc.needs, n, unlisted)
		}
	}
}

func TestFold(t *testing.T) {
	tests := map[string]string{
		"Réseaux":       "reseaux",
		"RESEAUX":       "reseaux",
		"SimpleX Chat":  "simplex chat",
		"simplex-chat":  "simplex chat",
		"simplex__chat": "simplex chat",
		"  a \t- b  ":   "a b",
		"Élément":       "element",
		"pair-à-pair":   "pair a pair",
		"İstanbul":      "istanbul",
		"ÆØÅ":           "æøa",
		"":              "",
		"---":           "",
		"naïve café":    "naive cafe",
		"Straße":        "straße",
		"\xff":          "\uFFFD",
	}
	for in, want := range tests {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkFold holds for every input: folding is idempotent and leaves no
// leading, trailing or doubled spaces.
func checkFold(t *testing.T, s string) {
	f := Fold(s)
	if u := foldUnicode(s); u != f {
		t.Errorf("Fold(%q) = %q, but foldUnicode gives %q", s, f, u)
	}
	if g := Fold(f); g != f {
		t.Errorf("Fold not idempotent on %q: %q then %q", s, f, g)
	}
	if strings.TrimSpace(f) != f || strings.Contains(f, "  ") {
		t.Errorf("Fold(%q) = %q has stray spaces", s, f)
	}
	if !utf8.ValidString(f) {
		t.Errorf("Fold(%q) = %q is not valid UTF-8", s, f)
	}
}

func FuzzFoldResolve(f *testing.F) {
	for _, seed := range []string{"signal", "Élément", "simplex-chat", "sigal", "xyz", "İ", "ǅ", "a\u0301", "\xff\xfe", strings.Repeat("é", 100)} {
		f.Add(seed)
	}
	s, err := loadEmbedded()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkFold(t, in)
		m, sug := s.Resolve(in)
		if m != nil && sug != nil {
			t.Errorf("Resolve(%q) returned both a match and a suggestion", in)
		}
		if m != nil {
			names := append([]string{m.ID, m.Name}, m.Aliases...)
			if !slices.ContainsFunc(names, func(n string) bool { return Fold(n) == Fold(in) }) {
				t.Errorf("Resolve(%q) = %s, which has no such name", in, m.ID)
			}
		}
		_ = FindNeed(in)
		_ = s.Network(in)
	})
}
