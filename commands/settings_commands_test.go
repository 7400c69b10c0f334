package commands

import (
	"errors"
	"strings"
	"testing"

	"github.com/guidebot/guidebot/content"
)

func TestSet(t *testing.T) {
	e := testEngine(t)
	tests := []struct {
		name    string
		line    string
		lang    content.Lang
		room    func(*fakeRoom)
		failed  bool
		want    string   // in the plain answer
		set     []string // SetSetting calls
		prefix  string   // the room's prefix afterwards
		command string
	}{
		{name: "refused", line: "!set language fr", room: func(r *fakeRoom) { r.allow = false; r.needed = 75 },
			failed: true, want: "Changing the settings of this room takes power level 75."},
		{name: "refused in French", line: "!regler langue en", lang: content.FR, room: func(r *fakeRoom) { r.allow = false },
			failed: true, want: "demande le niveau de pouvoir 50"},
		{name: "permission error", line: "!set language fr", room: func(r *fakeRoom) { r.permErr = errors.New("timeout") },
			failed: true, want: "could not check your power level"},
		{name: "subscribe refused", line: "!subscribe", room: func(r *fakeRoom) { r.allow = false },
			failed: true, want: "power level 50", command: "subscribe"},
		{name: "unsubscribe refused", line: "!desabonner", room: func(r *fakeRoom) { r.allow = false },
			failed: true, want: "power level 50", command: "unsubscribe"},
		{name: "unknown key", line: "!set colour blue", failed: true, want: "The settings are: language, prefix, replies, announcements"},
		{name: "bad language", line: "!set language de", failed: true,
			want: "“de” is not a valid value for language.\nlanguage = en — the language the bot answers in\nValues: en (English), fr (French)"},
		{name: "bad prefix letters", line: "!set prefix abc", failed: true, want: "1 to 3 characters that are neither letters"},
		{name: "bad prefix long", line: "!set prefix !!!!", failed: true, want: "not a valid value for prefix"},
		{name: "bad prefix space", line: `!set prefix "! !"`, failed: true},
		{name: "bad prefix digit", line: "!set prefix 1", failed: true},
		{name: "zero-width prefix is no value", line: "!set prefix \u200b", want: "prefix = !"},
		{name: "bad replies", line: "!set replies loud", failed: true, want: "thread (a reply, inside the command's thread if it has one), reply (a reply, never in a thread), plain (a plain message)"},
		{name: "no value", line: "!set replies", want: "replies = thread"},
		{name: "no key", line: "!set", failed: true, want: "!set KEY VALUE"},
		{name: "language", line: "!set language fr", set: []string{"language=fr"}, want: "C'est fait\u00a0: langue vaut désormais fr."},
		{name: "language alias", line: "!regler langue Français", set: []string{"language=fr"}, want: "C'est fait"},
		{name: "language back", line: "!regler langue en", lang: content.FR, set: []string{"language=en"}, want: "Done: language is now en."},
		{name: "same language", line: "!set language en", want: "language is already en."},
		{name: "prefix", line: "!set prefix ?", set: []string{"prefix=?"}, prefix: "?", want: "Done: prefix is now ?. From now on, type ?help."},
		{name: "prefix quoted", line: `!set prefix "!!"`, set: []string{"prefix=!!"}, prefix: "!!"},
		{name: "prefix emoji", line: "!set prefix 🤖", set: []string{"prefix=🤖"}, prefix: "🤖"},
		{name: "replies", line: "!set replies plain", set: []string{"replies=plain"}},
		{name: "replies French", line: "!regler reponses fil", lang: content.FR, room: func(r *fakeRoom) { r.settings.Replies = "plain" }, set: []string{"replies=thread"}},
		{name: "announcements", line: "!set announcements on", set: []string{"announcements=on"}, want: "This room will get a message"},
		{name: "subscribe", line: "!subscribe", set: []string{"announcements=on"}, command: "subscribe", want: "This room will get a message"},
		{name: "subscribe twice", line: "!abonner", room: func(r *fakeRoom) { r.settings.Announcements = true }, command: "subscribe", want: "announcements is already on"},
		{name: "unsubscribe", line: "!unsubscribe", room: func(r *fakeRoom) { r.settings.Announcements = true }, set: []string{"announcements=off"}, command: "unsubscribe", want: "no longer get these messages"},
		{name: "save error", line: "!set replies reply", room: func(r *fakeRoom) { r.setErr = errors.New("db locked") }, failed: true, want: "could not save"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lang := tt.lang
			if lang == "" {
				lang = content.EN
			}
			room := newRoom(lang)
			if tt.room != nil {
				tt.room(room)
			}
			r, ok := ask(e, room, tt.line)
			if !ok {
				t.Fatal("no answer")
			}
			if room.asked != 1 {
				t.Errorf("MayChangeSettings called %d times; want 1 (before anything else)", room.asked)
			}
			if r.Failed != tt.failed {
				t.Errorf("failed = %v; want %v:\n%s", r.Failed, tt.failed, r.Plain)
			}
			if tt.command != "" && r.Command != tt.command {
				t.Errorf("command = %q; want %q", r.Command, tt.command)
			}
			if !strings.Contains(r.Plain, tt.want) {
				t.Errorf("answer lacks %q:\n%s", tt.want, r.Plain)
			}
			if strings.Join(room.set, " ") != strings.Join(tt.set, " ") {
				t.Errorf("SetSetting calls %q; want %q", room.set, tt.set)
			}
			if tt.prefix != "" && room.settings.Prefix != tt.prefix {
				t.Errorf("prefix %q; want %q", room.settings.Prefix, tt.prefix)
			}
		})
	}
}

// TestPrefixChange: once the prefix changes, only the new one works.
func TestPrefixChange(t *testing.T) {
	e := testEngine(t)
	room := newRoom(content.EN)
	if _, ok := ask(e, room, "!set prefix ?"); !ok {
		t.Fatal("no answer")
	}
	if _, ok := ask(e, room, "!help"); ok {
		t.Error("the old prefix still works")
	}
	r, ok := ask(e, room, "?help")
	if !ok || !strings.Contains(r.Plain, "?messenger NAME") {
		t.Errorf("the new prefix: ok %v\n%s", ok, r.Plain)
	}
	// The bot still answers to its name.
	if _, ok := ask(e, room, "guidebot: help"); !ok {
		t.Error("name no longer works")
	}
	// A prefix that needs escaping in HTML.
	ask(e, room, "?set prefix <&")
	r, ok = ask(e, room, "<&help")
	if !ok || !strings.Contains(r.HTML, "<code>&lt;&amp;messenger NAME</code>") || !strings.Contains(r.Plain, "<&messenger NAME") {
		t.Errorf("prefix <&: ok %v\n%s\n%s", ok, r.Plain, r.HTML)
	}
}

// TestLanguageSwitch: the confirmation and every later answer are in the new language.
func TestLanguageSwitch(t *testing.T) {
	e := testEngine(t)
	room := newRoom(content.EN)
	r, _ := ask(e, room, "!set language fr")
	if !strings.HasPrefix(r.Plain, "C'est fait") {
		t.Errorf("confirmation not in French: %s", r.Plain)
	}
	r, _ = ask(e, room, "!help")
	if !strings.Contains(r.Plain, "!aide [COMMANDE]") {
		t.Errorf("help not in French:\n%s", r.Plain)
	}
	r, _ = ask(e, room, "!set language en")
	if !strings.HasPrefix(r.Plain, "Done") {
		t.Errorf("confirmation not in English: %s", r.Plain)
	}
}

func TestSettingDefs(t *testing.T) {
	keys := []string{}
	for _, d := range SettingDefs {
		keys = append(keys, d.Key)
		if d.Desc.EN == "" || d.Desc.FR == "" || d.FR == "" {
			t.Errorf("%s: missing description or French name", d.Key)
		}
		if d.Values == nil && (d.Check == nil || d.Allowed.EN == "" || d.Allowed.FR == "") {
			t.Errorf("%s: free-form without a check", d.Key)
		}
		if v, ok := d.Normalize(d.Default); !ok || v != d.Default {
			t.Errorf("%s: default %q is not valid", d.Key, d.Default)
		}
		if LookupSetting(d.Key) != d || LookupSetting(d.FR) != d || LookupSetting(strings.ToUpper(d.Key)) != d {
			t.Errorf("%s: not found by its names", d.Key)
		}
		for _, v := range d.Values {
			if v.Desc.EN == "" || v.Desc.FR == "" {
				t.Errorf("%s=%s: no description", d.Key, v.Value)
			}
		}
	}
	if strings.Join(keys, ",") != "language,prefix,replies,announcements" {
		t.Errorf("keys %v", keys)
	}
	for p, ok := range map[string]bool{"!": true, "?!.": true, "🤖": true, "<&": true, "": false, "!!!!": false, "a": false, "1": false, " ": false, "é": false, "\u200b": false, "!\u0301": false, "\xff": false} {
		if ValidPrefix(p) != ok {
			t.Errorf("ValidPrefix(%q) = %v", p, !ok)
		}
	}
	d := LookupSetting("announcements")
	for in, want := range map[string]string{"on": "on", "OUI": "on", "désactivé": "off", "off": "off"} {
		if got, ok := d.Normalize(in); !ok || got != want {
			t.Errorf("announcements %q → %q %v; want %q", in, got, ok, want)
		}
	}
}

func TestSettingsApply(t *testing.T) {
	s := DefaultSettings(content.EN, "!")
	if s.Replies != "thread" || s.Announcements || s.Prefix != "!" || s.Language != content.EN {
		t.Fatalf("DefaultSettings = %+v", s)
	}
	for _, tt := range []struct {
		key, value string
		ok         bool
	}{
		{"language", "fr", true},
		{"language", "de", false},
		{"prefix", "?", true},
		{"prefix", "abc", false},
		{"replies", "plain", true},
		{"announcements", "on", true},
		{"announcements", "maybe", false},
		{"colour", "blue", false},
		{"langue", "en", false}, // stored keys are the canonical ones only
	} {
		if err := s.Apply(tt.key, tt.value); (err == nil) != tt.ok {
			t.Errorf("Apply(%q, %q) = %v; want ok %v", tt.key, tt.value, err, tt.ok)
		}
	}
	want := Settings{Language: content.FR, Prefix: "?", Replies: "plain", Announcements: true}
	if s != want {
		t.Errorf("after Apply: %+v; want %+v", s, want)
	}
}
