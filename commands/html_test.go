package commands

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/guidebot/guidebot/content"
)

// allowedTags are the tags Matrix clients render and the bot may write.
var allowedTags = map[string]bool{
	"b": true, "i": true, "code": true, "a": true, "ul": true, "li": true, "br": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
}

var (
	tagRe    = regexp.MustCompile(`<(/?)([a-z]+)((?: [a-z]+="[^"<>]*")*)>`)
	entityRe = regexp.MustCompile(`&(amp|lt|gt|#34|#39);`)
)

// checkHTML reports markup that is not ours: a tag outside allowedTags, an
// attribute other than an https href, unbalanced tags, a stray < > or &.
func checkHTML(h string) error {
	var stack []string
	rest := tagRe.ReplaceAllStringFunc(h, func(tag string) string {
		m := tagRe.FindStringSubmatch(tag)
		closing, name, attrs := m[1] == "/", m[2], m[3]
		switch {
		case !allowedTags[name]:
			stack = append(stack, "!bad tag "+tag)
		case attrs != "" && (name != "a" || !strings.HasPrefix(attrs, ` href="https://`) || strings.Count(attrs, "=") != 1):
			stack = append(stack, "!bad attribute "+tag)
		case name == "br":
		case closing:
			if len(stack) == 0 || stack[len(stack)-1] != name {
				stack = append(stack, "!unbalanced "+tag)
			} else {
				stack = stack[:len(stack)-1]
			}
		default:
			stack = append(stack, name)
		}
		return ""
	})
	for _, s := range stack {
		if strings.HasPrefix(s, "!") {
			return fmt.Errorf("%s", s[1:])
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	rest = entityRe.ReplaceAllString(rest, "")
	if i := strings.IndexAny(rest, `<>&"`); i >= 0 {
		return fmt.Errorf("stray %q near %q", rest[i], rest[max(0, i-20):min(len(rest), i+20)])
	}
	return nil
}

// TestHTMLInjection sends hostile text in every place a user can type and
// checks that none of it reaches the HTML as markup.
func TestHTMLInjection(t *testing.T) {
	e := testEngine(t)
	payloads := []string{
		`<img src=x onerror=alert(1)>`,
		`**md** _em_ [link](https://evil.example)`,
		`<b>bold</b>`,
		`"><a href="javascript:alert(1)">x</a>`,
		`&lt;already&gt; &amp;`,
		`<script>alert(1)</script>`,
		"\u202e<i>rtl</i>",
	}
	var lines []string
	for _, p := range payloads {
		for _, c := range Commands() {
			lines = append(lines, "!"+c.Name+" "+p, "!"+c.Name+" signal "+p, "!"+c.Name+` "`+p+`"`)
		}
		lines = append(lines, "!set prefix "+p, "!set language "+p, "!set "+p+" x", "!"+p, "guidebot: "+p)
	}
	for _, lang := range content.Langs {
		for _, line := range lines {
			for _, direct := range []bool{false, true} {
				room := newRoom(lang)
				r, ok := e.Handle(context.Background(), Request{Text: line, Room: room, Direct: direct, BotNames: botNames})
				if !ok {
					continue
				}
				if err := checkHTML(r.HTML); err != nil {
					t.Errorf("%q: %v\n%s", line, err, r.HTML)
				}
				for _, bad := range []string{"<img", "<script", "<b>bold</b>", `href="javascript`, "<i>rtl</i>", "<strong>", "<em>"} {
					if strings.Contains(r.HTML, bad) {
						t.Errorf("%q: HTML holds %q:\n%s", line, bad, r.HTML)
					}
				}
				if strings.Contains(r.Plain, "<br>") || strings.Contains(r.Plain, "<b>") && !strings.Contains(line, "<b>") {
					t.Errorf("%q: markup in the plain body:\n%s", line, r.Plain)
				}
			}
		}
	}
	// The echo is escaped, not dropped: the user sees what they typed.
	r, _ := ask(e, newRoom(content.EN), "!m <img src=x>")
	if !strings.Contains(r.HTML, "<code>&lt;img src=x&gt;</code>") || !strings.Contains(r.Plain, "“<img src=x>”") {
		t.Errorf("echo:\n%s\n%s", r.Plain, r.HTML)
	}
}

// TestAnswersWellFormed checks the markup and the plain body of every
// answer the golden cases produce.
func TestAnswersWellFormed(t *testing.T) {
	e := testEngine(t)
	for _, tc := range goldenCases {
		for _, lang := range content.Langs {
			line := tc.en
			if lang == content.FR {
				line = tc.fr
			}
			room := newRoom(lang)
			r, _ := e.Handle(context.Background(), Request{Text: line, Room: room, Direct: tc.direct, BotNames: botNames})
			if err := checkHTML(r.HTML); err != nil {
				t.Errorf("%s (%s): %v", tc.name, lang, err)
			}
			// Plain text: no markup, no Markdown, no padding at line ends, no empty answer.
			for _, bad := range []string{"<b>", "<br>", "<code>", "**", "](", "`", "&amp;", "&#39;", "\x00"} {
				if strings.Contains(r.Plain, bad) {
					t.Errorf("%s (%s): plain body holds %q", tc.name, lang, bad)
				}
			}
			for _, l := range strings.Split(r.Plain, "\n") {
				if strings.TrimRight(l, " ") != l {
					t.Errorf("%s (%s): trailing spaces in %q", tc.name, lang, l)
				}
			}
			if strings.Contains(r.HTML, "\x00") || strings.Contains(r.HTML, "\n") {
				t.Errorf("%s (%s): NUL or newline in HTML", tc.name, lang)
			}
		}
	}
	for _, lang := range content.Langs {
		r := RenderAnnouncement(builtin(t), builtin(t).Changes, lang)
		if err := checkHTML(r.HTML); err != nil {
			t.Errorf("announcement: %v", err)
		}
	}
}

func TestCheckHTML(t *testing.T) {
	for h, ok := range map[string]bool{
		"<b>x</b><br>":                     true,
		`<a href="https://x">y</a>`:        true,
		"<b>x":                             false,
		"<img src=x>":                      false,
		`<a href="javascript:x">y</a>`:     false,
		"a < b":                            false,
		"a &lt; b &amp; c":                 true,
		"<ul><li>x</li></ul>":              true,
		"<b><i>x</b></i>":                  false,
		`<a onclick="x" href="https://x">`: false,
	} {
		if err := checkHTML(h); (err == nil) != ok {
			t.Errorf("checkHTML(%q) = %v", h, err)
		}
	}
}
