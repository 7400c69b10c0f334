package commands

import (
	"context"
	"strings"
	"testing"

	"github.com/guidebot/guidebot/content"
)

// FuzzHandle runs any line through the engine, in a room and in a DM, in
// both languages: no panic, an answer when addressed, well-formed HTML with
// nothing the user typed turned into markup.
func FuzzHandle(f *testing.F) {
	e := testEngine(f)
	for _, tc := range goldenCases {
		f.Add(tc.en, false, "!")
		f.Add(tc.fr, tc.direct, "?")
	}
	for _, s := range []string{"", "!", "guidebot:", "!vs a b c d e f g", "!m <img src=x>", "!set prefix <&>", "\u202e!m\u202c x", "!changes -1"} {
		f.Add(s, true, "!")
	}
	f.Fuzz(func(t *testing.T, text string, direct bool, prefix string) {
		for _, lang := range content.Langs {
			room := newRoom(lang)
			room.settings.Prefix = prefix // often invalid: the engine falls back to the default
			r, ok := e.Handle(context.Background(), Request{Text: text, Room: room, Direct: direct, BotNames: botNames})
			if !ok {
				if r != (Reply{}) {
					t.Fatalf("silent but replied %+v", r)
				}
				continue
			}
			if r.Plain == "" || r.HTML == "" {
				t.Fatalf("%q: empty answer %+v", text, r)
			}
			if err := checkHTML(r.HTML); err != nil {
				t.Fatalf("%q: %v\n%s", text, err, r.HTML)
			}
			if strings.Contains(r.Plain, "\x00") {
				t.Fatalf("%q: prefix mark left in the answer", text)
			}
		}
	})
}
