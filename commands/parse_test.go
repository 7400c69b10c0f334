package commands

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		prefix string
		direct bool
		via    via
		word   string
		args   []string
		err    parseErr
	}{
		{name: "prefix", text: "!compare signal briar", via: viaPrefix, word: "compare", args: []string{"signal", "briar"}},
		{name: "prefix with space", text: "! help", via: viaPrefix, word: "help"},
		{name: "long prefix", text: "?!.help", prefix: "?!.", via: viaPrefix, word: "help"},
		{name: "other prefix", text: "!help", prefix: "?", via: viaNone},
		{name: "no prefix in a room", text: "compare signal briar", via: viaNone},
		{name: "prefix only", text: "!", via: viaPrefix},
		{name: "prefix and spaces", text: "!   \t ", via: viaPrefix},
		{name: "empty", text: "", via: viaNone},
		{name: "empty dm", text: "", direct: true, via: viaDirect},
		{name: "dm without prefix", text: "compare signal simplex", direct: true, via: viaDirect, word: "compare", args: []string{"signal", "simplex"}},
		{name: "dm with prefix", text: "!help", direct: true, via: viaPrefix, word: "help"},
		{name: "name colon", text: "guidebot: compare signal briar", via: viaName, word: "compare", args: []string{"signal", "briar"}},
		{name: "name comma", text: "guidebot, help", via: viaName, word: "help"},
		{name: "name any case", text: "GuideBot: help", via: viaName, word: "help"},
		{name: "user id", text: "@guidebot:example.org: help", via: viaName, word: "help"},
		{name: "user id space", text: "@guidebot:example.org help", via: viaNameWeak, word: "help"},
		{name: "at localpart", text: "@guidebot help", via: viaNameWeak, word: "help"},
		{name: "display name pill", text: "Guide Bot: m signal", via: viaName, word: "m", args: []string{"signal"}},
		{name: "markdown pill", text: "[Guide Bot](https://matrix.to/#/@guidebot:example.org): help", via: viaName, word: "help"},
		{name: "name alone", text: "guidebot", via: viaName},
		{name: "name weak", text: "guidebot help", via: viaNameWeak, word: "help"},
		{name: "longer word", text: "guidebots: help", via: viaNone},
		{name: "name mid-sentence", text: "ask guidebot: help", via: viaNone},
		{name: "double quotes", text: `!m "simplex chat"`, via: viaPrefix, word: "m", args: []string{"simplex chat"}},
		{name: "single quotes", text: `!m 'simplex chat'`, via: viaPrefix, word: "m", args: []string{"simplex chat"}},
		{name: "typographic quotes", text: "!vs “simplex chat” ‘signal’", via: viaPrefix, word: "vs", args: []string{"simplex chat", "signal"}},
		{name: "guillemets", text: "!comparer « simplex chat » briar", via: viaPrefix, word: "comparer", args: []string{"simplex chat", "briar"}},
		{name: "german quotes", text: "!m „simplex chat“", via: viaPrefix, word: "m", args: []string{"simplex chat"}},
		{name: "unclosed quote", text: `!m "simplex chat`, via: viaPrefix, word: "m", args: []string{"simplex chat"}},
		{name: "lone quote", text: `!set prefix "`, via: viaPrefix, word: "set", args: []string{"prefix", `"`}},
		{name: "apostrophe inside a word", text: "!s'abonner", via: viaPrefix, word: "s'abonner"},
		{name: "zero-width", text: "\u200b!help\u200b sig\u200dnal\ufeff", via: viaPrefix, word: "help", args: []string{"signal"}},
		{name: "bidi marks", text: "\u202e!m\u202c \u2067signal\u2069", via: viaPrefix, word: "m", args: []string{"signal"}},
		{name: "control characters", text: "!m\x00signal\x1b briar", via: viaPrefix, word: "m", args: []string{"signal", "briar"}},
		{name: "tabs and newlines", text: "!vs\tsignal\n\nbriar", via: viaPrefix, word: "vs", args: []string{"signal", "briar"}},
		{name: "rtl", text: "!m سيجنال", via: viaPrefix, word: "m", args: []string{"سيجنال"}},
		{name: "accents kept", text: "!réseaux fédéré", via: viaPrefix, word: "réseaux", args: []string{"fédéré"}},
		{name: "too many args", text: "!vs" + strings.Repeat(" a", 5000), via: viaPrefix, word: "vs", err: errLineTooLong},
		{name: "many short args", text: "!vs" + strings.Repeat(" a", 40), via: viaPrefix, word: "vs", err: errTooManyArgs},
		{name: "long arg", text: "!m " + strings.Repeat("x", 100), via: viaPrefix, word: "m", err: errArgTooLong},
		{name: "64 KB", text: "!m " + strings.Repeat("é", 32*1024), via: viaPrefix, word: "m", err: errLineTooLong},
		{name: "64 KB not addressed", text: strings.Repeat("x", 64*1024), via: viaNone},
		{name: "invalid utf-8", text: "!m \xff\xfe", via: viaPrefix, word: "m", args: []string{"\xff\xfe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := tt.prefix
			if prefix == "" {
				prefix = "!"
			}
			p := parse(tt.text, prefix, botNames, tt.direct)
			if p.via != tt.via || p.word != tt.word || p.err != tt.err {
				t.Fatalf("parse(%.40q) = via %d word %q err %d; want via %d word %q err %d", tt.text, p.via, p.word, p.err, tt.via, tt.word, tt.err)
			}
			if tt.err == errNone && !slices.Equal(p.args, tt.args) {
				t.Fatalf("parse(%.40q) args = %q; want %q", tt.text, p.args, tt.args)
			}
		})
	}
}

// FuzzParse checks that no input panics, that the limits hold, and that
// every token is clean: no invisible or control characters, no outer spaces.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"!compare signal briar", "guidebot: help", `!m "simplex chat"`, "« x »", "!", "",
		"@guidebot:example.org: help", "[Guide Bot](https://matrix.to/#/@guidebot:example.org) m signal",
		"\u200b!help", "!m \xff", "!vs “a” ‘b’ „c“", `!set prefix "`,
	} {
		f.Add(s, "!", false)
		f.Add(s, "?!", true)
	}
	f.Fuzz(func(t *testing.T, text, prefix string, direct bool) {
		p := parse(text, prefix, botNames, direct)
		if p.via == viaNone {
			if p.word != "" || p.args != nil {
				t.Fatalf("not addressed but parsed %q %q", p.word, p.args)
			}
			return
		}
		if len(p.args) > maxArgs {
			t.Fatalf("%d args; limit %d", len(p.args), maxArgs)
		}
		for _, tok := range append([]string{p.word}, p.args...) {
			if len(tok) > maxArgBytes {
				t.Fatalf("token of %d bytes; limit %d", len(tok), maxArgBytes)
			}
			if strings.TrimSpace(tok) != tok {
				t.Fatalf("token %q has outer spaces", tok)
			}
			for _, r := range tok {
				if r != utf8.RuneError && (isInvisible(r) || isSep(r) && r != ' ') {
					t.Fatalf("token %q holds %U", tok, r)
				}
			}
		}
	})
}
