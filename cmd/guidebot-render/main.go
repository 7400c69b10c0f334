// Command guidebot-render writes the answers of a fixed list of commands, in
// English and French, as JSON: each answer's plain body and HTML
// formatted_body, exactly as the bot would send them. The rendering check in
// .ci/render reads that file to test the HTML against Element Web's sanitizer
// and styles and to take screenshots.
//
// It uses the commands engine over the built-in content; no Matrix.
//
//	go run -tags goolm ./cmd/guidebot-render -out DIR    # writes DIR/answers.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// answerCase is one command line, as a user of each language types it.
type answerCase struct {
	id     string
	en, fr string
}

var cases = []answerCase{
	{"card_signal", "!messenger signal", "!messagerie signal"},
	{"card_session", "!messenger session", "!messagerie session"},
	{"compare_2", "!compare signal session", "!comparer signal session"},
	{"compare_3", "!compare signal simplex briar", "!comparer signal simplex briar"},
	{"card_telegram", "!messenger telegram", "!messagerie telegram"},
	{"compare_signal_telegram_whatsapp", "!compare signal telegram whatsapp", "!comparer signal telegram whatsapp"},
	{"recommend_no_phone_ios", "!recommend no-phone ios", "!recommander sans-téléphone iphone"},
	{"messengers", "!messengers", "!messageries"},
	{"criteria", "!criteria", "!criteres"},
	{"help", "!help", "!aide"},
}

// Answer is one rendered answer, as written to answers.json.
type Answer struct {
	ID      string `json:"id"`
	Lang    string `json:"lang"`
	Line    string `json:"line"` // the command line, or "" for an announcement
	Command string `json:"command"`
	Failed  bool   `json:"failed"`
	Body    string `json:"body"`           // the plain body
	HTML    string `json:"formatted_body"` // the HTML formatted_body
}

// room is a room that changed no setting, in one language.
type room struct{ settings commands.Settings }

func newRoom(lang content.Lang) *room { return &room{commands.DefaultSettings(lang, "!")} }

func (r *room) Settings() commands.Settings                          { return r.settings }
func (r *room) MayChangeSettings(context.Context) (bool, int, error) { return false, 50, nil }
func (r *room) SetSetting(context.Context, string, string) error     { return nil }

func (c answerCase) line(lang content.Lang) string {
	if lang == content.FR {
		return c.fr
	}
	return c.en
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: guidebot-render -out DIR")
	flag.PrintDefaults()
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "guidebot-render: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	out := flag.String("out", "", "directory to write answers.json to (created if missing)")
	flag.Usage = usage
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		usage()
		os.Exit(2)
	}
	set := content.Builtin()
	e := commands.New(set, commands.WithVersion("render", "render"))

	var answers []Answer
	for _, lang := range content.Langs {
		for _, c := range cases {
			line := c.line(lang)
			r, ok := e.Handle(context.Background(), commands.Request{Text: line, Room: newRoom(lang), BotNames: []string{"guidebot"}})
			if !ok {
				fail("%s: %q was not answered", c.id, line)
			}
			if r.Failed {
				fail("%s: %q was refused: %s", c.id, line, r.Plain)
			}
			answers = append(answers, Answer{ID: c.id, Lang: string(lang), Line: line, Command: r.Command, Body: r.Plain, HTML: r.HTML})
		}
		// The announcement of the two newest change-log entries, as
		// subscribed rooms get it.
		if n := min(2, len(set.Changes)); n > 0 {
			r := commands.RenderAnnouncement(set, set.Changes[:n], lang)
			answers = append(answers, Answer{ID: "announcement", Lang: string(lang), Command: r.Command, Body: r.Plain, HTML: r.HTML})
		}
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail("%v", err)
	}
	path := filepath.Join(*out, "answers.json")
	b, err := json.MarshalIndent(answers, "", "  ")
	if err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		fail("%v", err)
	}
	fmt.Printf("guidebot-render: %d answers in %s\n", len(answers), path)
}
