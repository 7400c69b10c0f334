package commands

import (
	"strings"
	"testing"

	"github.com/guidebot/guidebot/content"
)

// TestCatalog: every UI string exists in both languages.
func TestCatalog(t *testing.T) {
	for k, s := range catalog {
		if s.EN == "" || s.FR == "" {
			t.Errorf("catalog key %d lacks a language: %+v", k, s)
		}
		if strings.Count(s.EN, "{") != strings.Count(s.FR, "{") {
			t.Errorf("catalog key %d: placeholders differ: %+v", k, s)
		}
	}
	if got := trf(content.FR, kNeedPower, "75"); !strings.Contains(got, "75") {
		t.Errorf("trf: %q", got)
	}
}

// TestDeclarations: every command is fully declared, and names are unique
// (init panics otherwise).
func TestDeclarations(t *testing.T) {
	want := "help messenger messengers compare recommend networks criteria changes about settings set subscribe unsubscribe"
	var names []string
	for _, c := range Commands() {
		names = append(names, c.Name)
		if c.FR == "" || c.Desc.EN == "" || c.Desc.FR == "" || c.Example.EN == "" || c.Example.FR == "" || c.run == nil {
			t.Errorf("%s: incomplete declaration", c.Name)
		}
		if (c.Args.EN == "") != (c.Args.FR == "") {
			t.Errorf("%s: arguments in one language only", c.Name)
		}
		// The examples run the command they illustrate.
		for _, ex := range []string{c.Example.EN, c.Example.FR} {
			if lookup(strings.Fields(ex)[0]) != c {
				t.Errorf("%s: example %q runs another command", c.Name, ex)
			}
		}
		if c.FR != content.Fold(c.FR) {
			t.Errorf("%s: French name %q should be typeable without accents", c.Name, c.FR)
		}
	}
	if strings.Join(names, " ") != want {
		t.Errorf("commands %q", names)
	}
	for _, alias := range []string{"m", "list", "vs", "aide", "messagerie", "messageries", "comparer", "recommander", "reseaux", "réseaux", "criteres", "critères", "nouveautes", "nouveautés", "apropos", "parametres", "paramètres", "regler", "régler", "abonner", "desabonner", "désabonner"} {
		if lookup(alias) == nil {
			t.Errorf("alias %q unknown", alias)
		}
	}
	// Examples answer without failing.
	e := testEngine(t)
	for _, c := range Commands() {
		for _, lang := range content.Langs {
			room := newRoom(lang)
			if r, ok := ask(e, room, "!"+c.Example.In(lang)); !ok || r.Failed {
				t.Errorf("example %q fails:\n%s", c.Example.In(lang), r.Plain)
			}
		}
	}
}

func TestSuggestCommand(t *testing.T) {
	for word, want := range map[string]string{"mesenger": "messenger", "hepl": "help", "comapre": "compare", "reccomend": "recommend", "nouveautee": "changes", "xyz": "", "a": "", "weather": ""} {
		got := ""
		if c := suggestCommand(word); c != nil {
			got = c.Name
		}
		if got != want {
			t.Errorf("suggestCommand(%q) = %q; want %q", word, got, want)
		}
	}
}
