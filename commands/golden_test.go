package commands

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guidebot/guidebot/content"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCase is one command line, written in each language the way a user of
// that language would type it.
type goldenCase struct {
	name   string
	en, fr string
	direct bool
	room   func(*fakeRoom)
}

var goldenCases = []goldenCase{
	{name: "help", en: "!help", fr: "!aide"},
	{name: "help_compare", en: "!help compare", fr: "!aide comparer"},
	{name: "help_messenger", en: "!help m", fr: "!aide messagerie"},
	{name: "help_recommend", en: "!help recommend", fr: "!aide recommander"},
	{name: "help_networks", en: "!help networks", fr: "!aide reseaux"},
	{name: "help_changes", en: "!help changes", fr: "!aide nouveautes"},
	{name: "help_set", en: "!help set", fr: "!aide regler"},
	{name: "help_unknown", en: "!help frobnicate", fr: "!aide bidule"},
	{name: "messenger_signal", en: "!messenger signal", fr: "!messagerie signal"},
	{name: "messenger_molly", en: "!m molly", fr: "!messagerie molly"},
	{name: "messenger_simplex", en: `!m "simplex chat"`, fr: "!messagerie « SimpleX Chat »"},
	{name: "messenger_briar", en: "!m briar", fr: "!messagerie briar"},
	{name: "messenger_element", en: "!m element", fr: "!messagerie matrix"},
	{name: "messenger_session", en: "!m session", fr: "!messagerie session"},
	{name: "messenger_sigal", en: "!messenger sigal", fr: "!messagerie sigal"},
	{name: "messenger_unknown", en: "!messenger viber", fr: "!messagerie viber"},
	{name: "messenger_telegram", en: "!messenger telegram", fr: "!messagerie tg"},
	{name: "messenger_whatsapp", en: "!m wa", fr: "!messagerie whatsapp"},
	{name: "messenger_fb", en: "!m fb messenger", fr: "!messagerie facebook messenger"},
	{name: "messenger_threema", en: "!m threema", fr: "!messagerie threema"},
	{name: "messenger_dm", en: "signal", fr: "signal", direct: true},
	{name: "messengers", en: "!messengers", fr: "!messageries"},
	{name: "compare_session_briar", en: "!compare session briar", fr: "!comparer session briar"},
	{name: "compare_five", en: "!vs signal molly simplex briar session", fr: "!comparer signal molly simplex briar session"},
	{name: "compare_signal_telegram_whatsapp", en: "!compare signal telegram whatsapp", fr: "!comparer signal telegram whatsapp"},
	{name: "compare_aliases", en: "!compare wa fb messenger xmpp", fr: "!comparer wa messenger facebook omemo"},
	{name: "compare_one", en: "!compare signal", fr: "!comparer signal"},
	{name: "recommend", en: "!recommend", fr: "!recommander"},
	{name: "recommend_no_phone_ios", en: "!recommend no-phone ios", fr: "!recommander sans-téléphone iphone"},
	{name: "recommend_desktop_offline", en: "!recommend desktop offline", fr: "!recommander ordinateur hors-ligne"},
	{name: "recommend_unknown", en: "!recommend no-fone", fr: "!recommander sans-fil"},
	{name: "networks", en: "!networks", fr: "!reseaux"},
	{name: "networks_p2p", en: "!networks p2p", fr: "!réseaux pair-à-pair"},
	{name: "networks_unknown", en: "!networks mesh", fr: "!reseaux maille"},
	{name: "criteria", en: "!criteria", fr: "!criteres"},
	{name: "changes", en: "!changes", fr: "!nouveautes"},
	{name: "changes_2", en: "!changes 2", fr: "!nouveautés 2"},
	{name: "changes_bad", en: "!changes 0", fr: "!nouveautes beaucoup"},
	{name: "about", en: "!about", fr: "!apropos"},
	{name: "settings", en: "!settings", fr: "!parametres"},
	{name: "set_language", en: "!set language fr", fr: "!regler langue en"},
	{name: "set_prefix", en: "!set prefix ?", fr: "!regler prefixe ?"},
	{name: "set_bad_value", en: "!set replies loud", fr: "!regler reponses fort"},
	{name: "set_refused", en: "!set language fr", fr: "!regler langue en", room: func(r *fakeRoom) { r.allow = false }},
	{name: "subscribe", en: "!subscribe", fr: "!abonner"},
	{name: "unsubscribe", en: "!unsubscribe", fr: "!desabonner", room: func(r *fakeRoom) { r.settings.Announcements = true }},
	{name: "typo", en: "!mesenger signal", fr: "!messagrie signal"},
	{name: "dm_hint", en: "hello", fr: "bonjour", direct: true},
	{name: "too_long", en: "!m " + strings.Repeat("x", 100), fr: "!messagerie " + strings.Repeat("x", 100)},
}

// TestGolden renders every command in both languages, plain and HTML, and
// compares with testdata/golden. Run with -update to rewrite the files, then
// read the diff: it is what users read.
func TestGolden(t *testing.T) {
	e := testEngine(t)
	seen := map[string]bool{}
	for _, tc := range goldenCases {
		for _, lang := range content.Langs {
			line := tc.en
			if lang == content.FR {
				line = tc.fr
			}
			room := newRoom(lang)
			if tc.room != nil {
				tc.room(room)
			}
			var r Reply
			var ok bool
			if tc.direct {
				r, ok = dm(e, room, line)
			} else {
				r, ok = ask(e, room, line)
			}
			if !ok {
				t.Errorf("%s: %q not answered", tc.name, line)
				continue
			}
			seen[r.Command] = true
			header := fmt.Sprintf("> %s\n# command=%q failed=%v\n\n", line, r.Command, r.Failed)
			golden(t, tc.name+"."+string(lang)+".txt", header+r.Plain+"\n")
			golden(t, tc.name+"."+string(lang)+".html", header+prettyHTML(r.HTML)+"\n")
		}
	}
	for _, c := range Commands() {
		if !seen[c.Name] {
			t.Errorf("no golden case for %s", c.Name)
		}
	}
}

// TestGoldenAnnouncement renders the announcement of the two newest entries.
func TestGoldenAnnouncement(t *testing.T) {
	set := builtin(t)
	entries := []*content.Change{set.Changes[1], set.Changes[0]} // oldest first: the renderer sorts
	for _, lang := range content.Langs {
		r := RenderAnnouncement(set, entries, lang)
		if r.Command != "announcement" || r.Failed {
			t.Errorf("announcement reply %q %v", r.Command, r.Failed)
		}
		if strings.Index(r.Plain, date(lang, set.Changes[0].Date.Time)) > strings.Index(r.Plain, date(lang, set.Changes[1].Date.Time)) {
			t.Errorf("announcement not newest first:\n%s", r.Plain)
		}
		golden(t, "announcement."+string(lang)+".txt", r.Plain+"\n")
		golden(t, "announcement."+string(lang)+".html", prettyHTML(r.HTML)+"\n")
		one := RenderAnnouncement(set, entries[:1], lang)
		golden(t, "announcement_one."+string(lang)+".txt", one.Plain+"\n")
	}
}

// prettyHTML breaks the HTML after block ends so that golden diffs are
// readable. The answers themselves hold no newline.
func prettyHTML(h string) string {
	for _, tag := range []string{"<br>", "</li>", "<ul>", "</ul>", "</tr>", "<tbody>", "</thead>"} {
		h = strings.ReplaceAll(h, tag, tag+"\n")
	}
	return h
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (run go test -update)", name, err)
		return
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run go test -update and read the diff):\n%s", name, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return ""
}
