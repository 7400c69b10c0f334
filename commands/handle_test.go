package commands

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/guidebot/guidebot/content"
)

// TestAddressing checks which lines the bot answers, and as which command.
func TestAddressing(t *testing.T) {
	e := testEngine(t)
	tests := []struct {
		name    string
		text    string
		direct  bool
		prefix  string
		ok      bool
		command string
		failed  bool
		want    string // in the plain answer
	}{
		{name: "prefix", text: "!help", ok: true, command: "help"},
		{name: "no prefix in a room", text: "help", ok: false},
		{name: "chat in a room", text: "I like signal", ok: false},
		{name: "exclamation", text: "!!!", ok: false},
		{name: "prefix only", text: "!", ok: false},
		{name: "other bot's command", text: "!weather paris", ok: false},
		{name: "typo of a command", text: "!mesenger signal", ok: true, failed: true, want: "did you mean !messenger?"},
		{name: "prefix then a messenger", text: "!signal", ok: true, command: "messenger", want: "Signal — recommended"},
		{name: "name colon", text: "guidebot: compare signal briar", ok: true, command: "compare"},
		{name: "name comma", text: "guidebot, help", ok: true, command: "help"},
		{name: "user id", text: "@guidebot:example.org: help", ok: true, command: "help"},
		{name: "display name pill", text: "Guide Bot: m signal", ok: true, command: "messenger"},
		{name: "markdown pill", text: "[Guide Bot](https://matrix.to/#/@guidebot:example.org): about", ok: true, command: "about"},
		{name: "name then a command", text: "guidebot help", ok: true, command: "help"},
		{name: "name in a sentence", text: "guidebot is great", ok: false},
		{name: "name then unknown", text: "guidebot: what is this", ok: true, failed: true, want: "help"},
		{name: "name alone", text: "guidebot:", ok: true, want: "I answer questions"},
		{name: "dm command", text: "compare signal simplex", direct: true, ok: true, command: "compare", want: "Signal vs SimpleX Chat"},
		{name: "dm messenger name", text: "signal", direct: true, ok: true, command: "messenger", want: "Signal — recommended"},
		{name: "dm messenger two words", text: "SimpleX Chat", direct: true, ok: true, command: "messenger", want: "SimpleX Chat — recommended"},
		{name: "dm alias", text: "matrix", direct: true, ok: true, command: "messenger", want: "Element"},
		{name: "dm near miss", text: "sigal", direct: true, ok: true, failed: true, want: "did you mean Signal?"},
		{name: "dm unknown", text: "hello there", direct: true, ok: true, failed: true, want: "I answer questions about private messengers. Try !help"},
		{name: "dm prefix only", text: "!", direct: true, ok: true, want: "!help"},
		{name: "dm empty", text: "  \u200b ", direct: true, ok: true, want: "!help"},
		{name: "changed prefix", text: "?help", prefix: "?", ok: true, command: "help", want: "?messenger NAME"},
		{name: "old prefix after change", text: "!help", prefix: "?", ok: false},
		{name: "upper case", text: "!COMPARE SIGNAL BRIAR", ok: true, command: "compare"},
		{name: "accents", text: "!Réseaux Fédéré", ok: true, command: "networks", want: "Federated"},
		{name: "no accents", text: "!reseaux federe", ok: true, command: "networks"},
		{name: "quoted name", text: `!m "simplex chat"`, ok: true, command: "messenger", want: "SimpleX Chat — recommended"},
		{name: "unquoted two words", text: "!vs simplex chat signal", ok: true, command: "compare", want: "SimpleX Chat vs Signal"},
		{name: "typographic quotes", text: "!vs “SimpleX Chat” ‘Signal’", ok: true, command: "compare"},
		{name: "zero-width", text: "!m\u200b sig\u200bnal", ok: true, command: "messenger", want: "Signal — recommended"},
		{name: "sigal", text: "!messenger sigal", ok: true, command: "messenger", failed: true, want: "unknown messenger “sigal” — did you mean Signal?"},
		{name: "unknown name", text: "!messenger zzzzzzzz", ok: true, command: "messenger", failed: true, want: "Known messengers: Signal, Molly, SimpleX Chat, Briar, Element, Session"},
		{name: "messenger without name", text: "!m", ok: true, command: "messenger", failed: true, want: "Which messenger?"},
		{name: "compare one", text: "!vs signal", ok: true, command: "compare", failed: true, want: "Give 2 to 5 different messengers."},
		{name: "compare same twice", text: "!vs signal Signal", ok: true, command: "compare", failed: true},
		{name: "compare six", text: "!vs signal molly simplex briar session element", ok: true, command: "compare", failed: true},
		{name: "compare unknown", text: "!vs signal brair", ok: true, command: "compare", failed: true, want: "did you mean Briar?"},
		{name: "changes default", text: "!changes", ok: true, command: "changes", want: "(5 of"},
		{name: "changes 2", text: "!changes 2", ok: true, command: "changes", want: "(2 of"},
		{name: "changes 0", text: "!changes 0", ok: true, command: "changes", failed: true, want: "from 1 to 50"},
		{name: "changes huge", text: "!changes 99999999999999999999", ok: true, command: "changes", failed: true},
		{name: "changes word", text: "!changes many", ok: true, command: "changes", failed: true},
		{name: "help command", text: "!help compare", ok: true, command: "help", want: "Example: !compare signal briar"},
		{name: "help french alias", text: "!help comparer", ok: true, command: "help", want: "!compare A B [C…]"},
		{name: "help prefixed", text: "!help !vs", ok: true, command: "help", want: "!compare A B [C…]"},
		{name: "help unknown", text: "!help frobnicate", ok: true, command: "help", failed: true, want: "The commands are"},
		{name: "networks unknown", text: "!networks mesh", ok: true, command: "networks", failed: true, want: "The network types are"},
		{name: "recommend unknown need", text: "!recommend no-fone", ok: true, command: "recommend", failed: true, want: "did you mean no-phone?"},
		{name: "recommend spelled out", text: "!recommend no phone", ok: true, command: "recommend", want: "Your needs: no phone number needed"},
		{name: "too long", text: "!m " + strings.Repeat("x ", 2000), ok: true, command: "messenger", failed: true, want: "too long"},
		{name: "too many", text: "!vs" + strings.Repeat(" signal", 20), ok: true, command: "compare", failed: true, want: "Too many arguments"},
		{name: "arg too long", text: "!m " + strings.Repeat("x", 200), ok: true, command: "messenger", failed: true, want: "too long"},
		{name: "64 KB in a room", text: strings.Repeat("blah ", 13000), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			room := newRoom(content.EN)
			if tt.prefix != "" {
				room.settings.Prefix = tt.prefix
			}
			var r Reply
			var ok bool
			if tt.direct {
				r, ok = dm(e, room, tt.text)
			} else {
				r, ok = ask(e, room, tt.text)
			}
			if ok != tt.ok {
				t.Fatalf("ok = %v; want %v (reply %q)", ok, tt.ok, r.Plain)
			}
			if !ok {
				return
			}
			if tt.command != "" && r.Command != tt.command {
				t.Errorf("command = %q; want %q", r.Command, tt.command)
			}
			if r.Failed != tt.failed {
				t.Errorf("failed = %v; want %v", r.Failed, tt.failed)
			}
			if !strings.Contains(strings.ToLower(r.Plain), strings.ToLower(tt.want)) {
				t.Errorf("plain answer lacks %q:\n%s", tt.want, r.Plain)
			}
			if r.Plain == "" || r.HTML == "" {
				t.Errorf("empty answer: %+v", r)
			}
		})
	}
}

// TestFrenchAliases checks that every command answers to its French name,
// and in French when the room is French.
func TestFrenchAliases(t *testing.T) {
	e := testEngine(t)
	for _, c := range Commands() {
		for _, name := range append([]string{c.Name, c.FR}, c.Aliases...) {
			room := newRoom(content.FR)
			r, ok := ask(e, room, "!"+name)
			if !ok || r.Command != c.Name {
				t.Errorf("!%s: ok %v command %q; want %q", name, ok, r.Command, c.Name)
			}
		}
	}
	room := newRoom(content.FR)
	r, _ := ask(e, room, "!messagerie signal")
	if !strings.Contains(r.Plain, "Signal — recommandée") {
		t.Errorf("French card:\n%s", r.Plain)
	}
	r, _ = ask(e, room, "!messagerie sigal")
	if want := "Messagerie inconnue « sigal » — vouliez-vous dire Signal\u00a0?"; !strings.Contains(r.Plain, want) {
		t.Errorf("French suggestion: got\n%s\nwant %q", r.Plain, want)
	}
}

// TestRecommend checks the reasons recommend gives, against the facts.
func TestRecommend(t *testing.T) {
	e := testEngine(t)
	r, _ := ask(e, newRoom(content.EN), "!recommend no-phone ios")
	for _, want := range []string{
		"Your needs: no phone number needed to sign up, an iOS app",
		"• SimpleX Chat — recommended",
		"• Signal — needs a phone number",
		"• Briar — no iOS app",
		"• Molly — needs a phone number; no iOS app",
		"• Session — no longer recommended since 16 May 2025",
		"• Element — no longer recommended since 10 May 2025",
	} {
		if !strings.Contains(r.Plain, want) {
			t.Errorf("recommend no-phone ios lacks %q:\n%s", want, r.Plain)
		}
	}
	fit := r.Plain[:strings.Index(r.Plain, "Left out")]
	for _, name := range []string{"Signal —", "Briar —", "Session —"} {
		if strings.Contains(fit, name) {
			t.Errorf("%s recommended for no-phone ios:\n%s", name, r.Plain)
		}
	}

	r, _ = ask(e, newRoom(content.FR), "!recommander sans-telephone iphone")
	for _, want := range []string{"• Signal — exige un numéro de téléphone", "• Briar — pas d'application iOS"} {
		if !strings.Contains(r.Plain, want) {
			t.Errorf("recommander lacks %q:\n%s", want, r.Plain)
		}
	}

	r, _ = ask(e, newRoom(content.EN), "!recommend")
	// Privacy Guides' order, not a ranking of the bot's own.
	order := []int{strings.Index(r.Plain, "• Signal"), strings.Index(r.Plain, "• Molly"), strings.Index(r.Plain, "• SimpleX Chat"), strings.Index(r.Plain, "• Briar")}
	for i := 1; i < len(order); i++ {
		if order[i-1] < 0 || order[i] < order[i-1] {
			t.Errorf("general recommendation not in Privacy Guides' order (Signal, Molly, SimpleX Chat, Briar):\n%s", r.Plain)
			break
		}
	}
	if strings.Contains(r.Plain, "best-case criteria") {
		t.Errorf("general recommendation still counts best-case criteria:\n%s", r.Plain)
	}
	if !strings.Contains(r.Plain, "What Privacy Guides recommends, in its order") || !strings.Contains(r.Plain, "The needs are: no-phone") {
		t.Errorf("general recommendation:\n%s", r.Plain)
	}

	r, _ = ask(e, newRoom(content.EN), "!recommend teleport")
	if !r.Failed || !strings.Contains(r.Plain, "The needs are: no-phone, android, ios") {
		t.Errorf("unknown need:\n%s", r.Plain)
	}
}

// TestCompareFacts checks the cells users rely on most.
func TestCompareFacts(t *testing.T) {
	e := testEngine(t)
	r, _ := ask(e, newRoom(content.EN), "!compare session briar")
	row := func(label string) []string {
		for _, l := range strings.Split(r.Plain, "\n") {
			if strings.HasPrefix(l, label+"  ") {
				return strings.Fields(strings.TrimPrefix(l, label))
			}
		}
		t.Fatalf("no row %q in:\n%s", label, r.Plain)
		return nil
	}
	if got := row("Forward secrecy"); len(got) != 2 || got[0] != "no" || got[1] != "yes" {
		t.Errorf("forward secrecy row = %q; want Session no, Briar yes", got)
	}
	if got := row("iOS app"); len(got) != 2 || got[0] != "yes" || got[1] != "no" {
		t.Errorf("iOS row = %q; want Session yes, Briar no", got)
	}
	if !strings.Contains(r.HTML, "<table>") || strings.Count(r.HTML, "<tr>") != strings.Count(r.HTML, "</tr>") {
		t.Errorf("HTML table:\n%s", r.HTML)
	}
	// The plain table is aligned: every cell of a column starts at the same offset.
	lines := strings.Split(r.Plain, "\n")
	header := lines[2]
	col := strings.Index(header, "Briar")
	for _, l := range lines[3:] {
		if l == "" {
			break
		}
		if len([]rune(l)) > col && strings.HasPrefix(l, "Forward") {
			if got := string([]rune(l)[col:]); got != "yes" {
				t.Errorf("Briar column misaligned: %q", l)
			}
		}
	}
}

// TestConcurrentSetContent runs Handle while the content is swapped.
func TestConcurrentSetContent(t *testing.T) {
	e := testEngine(t)
	set := builtin(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			room := newRoom(content.Langs[i%2])
			for range 200 {
				for _, line := range []string{"!m signal", "!vs signal briar", "!help", "!recommend ios"} {
					if r, ok := ask(e, room, line); !ok || r.Plain == "" {
						t.Errorf("%s: no answer", line)
					}
				}
			}
		}()
	}
	for range 50 {
		e.SetContent(set)
		e.SetContent(&content.Set{})
	}
	e.SetContent(set)
	wg.Wait()
}

// TestEmptyContent checks every command against a set with nothing in it.
func TestEmptyContent(t *testing.T) {
	e := New(&content.Set{})
	for _, c := range Commands() {
		for _, args := range []string{"", " signal", " signal briar", " 3", " ios"} {
			if c.Name == "set" || c.Name == "subscribe" || c.Name == "unsubscribe" {
				continue
			}
			for _, lang := range content.Langs {
				r, ok := ask(e, newRoom(lang), "!"+c.Name+args)
				if !ok || r.Plain == "" {
					t.Errorf("!%s%s: empty answer", c.Name, args)
				}
			}
		}
	}
	if New(nil).Content() == nil {
		t.Error("New(nil) has no content")
	}
}

// TestNilRoom: a caller that forgets the room gets answers, not a panic.
func TestNilRoom(t *testing.T) {
	e := testEngine(t)
	for _, line := range []string{"!help", "!set language fr", "!settings", "!subscribe"} {
		if _, ok := e.Handle(context.Background(), Request{Text: line}); !ok {
			t.Errorf("%s: no answer", line)
		}
	}
}
