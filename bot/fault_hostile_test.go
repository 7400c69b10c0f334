package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/guidebot/guidebot/commands"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

// Fault tests (issue 7): hostile and malformed messages. Each test has an explicit deadline and every
// wait is bounded. Run them alone with
//
//	go test -tags goolm -run 'TestFault' -v ./bot/

// hostileCase is one message sent to the bot.
type hostileCase struct {
	name    string
	content any // *event.MessageEventContent or a raw map
}

// hostileCases are the messages; mark is a word the bots' logs must not
// show at info level (the harness audits them), put in some of them.
func hostileCases(mark string) []hostileCase {
	manyArgs := strings.TrimSpace(strings.Repeat("signal ", 5000))
	big := "!messenger " + mark + strings.Repeat("a", 64_000-len("!messenger ")-len(mark))
	cases := []hostileCase{
		{"empty body", bottest.TextMessage("")},
		{"only the prefix", bottest.TextMessage("!")},
		{"prefix and spaces", bottest.TextMessage("!   \t  ")},
		{"64 KB body", bottest.TextMessage(big)},
		{"64 KB of spaces after the prefix", bottest.TextMessage("!" + strings.Repeat(" ", 63_000) + "help")},
		{"thousands of arguments (compare)", bottest.TextMessage("!compare " + manyArgs)},
		{"thousands of arguments (recommend)", bottest.TextMessage("!recommend " + strings.Repeat("e2ee ", 3000))},
		{"thousands of arguments (help)", bottest.TextMessage("!help " + manyArgs)},
		{"control characters", bottest.TextMessage("!help\x01\x02\x1b[31m\x7f\u0085 messenger " + mark)},
		{"NUL byte", bottest.TextMessage("!messenger sig\x00nal")},
		{"escape sequences in a name", bottest.TextMessage("!messenger \x1b]0;pwned\x07\x1b[2J")},
		{"zero-width inside the command", bottest.TextMessage("!he\u200blp")},
		{"zero-width before the prefix", bottest.TextMessage("\ufeff\u200b!help")},
		{"zero-width joiners in a name", bottest.TextMessage("!messenger s\u200di\u200cg\u2060nal")},
		{"right-to-left override", bottest.TextMessage("!messenger \u202elangis\u202c")},
		{"right-to-left text", bottest.TextMessage("!messenger سيجنال שלום " + mark)},
		{"right-to-left command", bottest.TextMessage("\u202e!help")},
		{"HTML injection", bottest.TextMessage("!messenger <img src=x onerror=alert(1)> " + mark)},
		{"script injection", bottest.TextMessage("!messenger <script>alert(1)</script>")},
		{"HTML in the command name", bottest.TextMessage("!<img src=x onerror=alert(1)>")},
		{"Markdown injection", bottest.TextMessage("!m **bold** [x](javascript:alert(1)) " + mark)},
		{"Markdown link", bottest.TextMessage("!messenger [click](javascript:alert(1))")},
		{"HTML link", bottest.TextMessage(`!compare <a href="javascript:alert(1)">signal</a> molly`)},
		{"HTML formatted body", &event.MessageEventContent{MsgType: event.MsgText,
			Body:          "!messenger <img src=x onerror=alert(1)>",
			Format:        event.FormatHTML,
			FormattedBody: `<img src=x onerror=alert(1)><script>alert(1)</script><a href="javascript:alert(1)">x</a>`}},
		{"settings with HTML", bottest.TextMessage("!set prefix <b>")},
		{"newlines and a second command", bottest.TextMessage("!messenger signal\n!messenger molly\n<img src=x>")},
		{"fake reply fallback", bottest.TextMessage("> <@someone:localhost> !help\n\n!messenger <img src=x onerror=alert(1)>")},
		// malformed event content, sent as raw JSON
		{"missing body", map[string]any{"msgtype": "m.text"}},
		{"body is a number", map[string]any{"msgtype": "m.text", "body": 42}},
		{"body is an object", map[string]any{"msgtype": "m.text", "body": map[string]any{"text": "!help"}}},
		{"body is null", map[string]any{"msgtype": "m.text", "body": nil}},
		{"body is a list", map[string]any{"msgtype": "m.text", "body": []any{"!help"}}},
		{"msgtype missing", map[string]any{"body": "!help " + mark}},
		{"msgtype is a number", map[string]any{"msgtype": 1, "body": "!help"}},
		{"formatted_body only", map[string]any{"msgtype": "m.text", "format": "org.matrix.custom.html",
			"formatted_body": `<b>!help</b><img src=x onerror=alert(1)>`}},
		{"empty content", map[string]any{}},
		{"relation is a string", map[string]any{"msgtype": "m.text", "body": "!help", "m.relates_to": "garbage"}},
		{"reply to a number", map[string]any{"msgtype": "m.text", "body": "!help",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": 42}}}},
		{"reply to a missing event", map[string]any{"msgtype": "m.text", "body": "!help",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": "$missing:localhost"}}}},
		{"thread of a missing root", map[string]any{"msgtype": "m.text", "body": "!help",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": "$missing:localhost",
				"is_falling_back": true, "m.in_reply_to": map[string]any{"event_id": "$missing:localhost"}}}},
		{"new_content is a string", map[string]any{"msgtype": "m.text", "body": "!help", "m.new_content": "x"}},
		{"mentions are a string", map[string]any{"msgtype": "m.text", "body": "!help", "m.mentions": "everyone"}},
	}
	return cases
}

// allowedAnswerTags are the HTML elements an answer may contain; anything
// else (img, script, iframe, svg, style…) came from the input.
var allowedAnswerTags = map[string]bool{
	"a": true, "b": true, "br": true, "code": true, "em": true, "i": true, "li": true, "ol": true,
	"p": true, "pre": true, "strong": true, "ul": true, "table": true, "thead": true, "tbody": true,
	"tr": true, "th": true, "td": true, "blockquote": true, "del": true, "sup": true, "sub": true,
	"hr": true, "span": true, "details": true, "summary": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "mx-reply": true,
}

var (
	tagRE     = regexp.MustCompile(`<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)`)
	badLinkRE = regexp.MustCompile(`(?i)(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):`)
	handlerRE = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
)

// checkAnswerIsClean reports what is wrong with an answer to hostile input.
func checkAnswerIsClean(msg *event.MessageEventContent) []string {
	var bad []string
	if msg.MsgType != event.MsgNotice {
		bad = append(bad, fmt.Sprintf("msgtype %q, want m.notice", msg.MsgType))
	}
	if strings.TrimSpace(msg.Body) == "" {
		bad = append(bad, "empty body")
	}
	if !utf8.ValidString(msg.Body) || !utf8.ValidString(msg.FormattedBody) {
		bad = append(bad, "invalid UTF-8")
	}
	if len(msg.Body) > 16<<10 || len(msg.FormattedBody) > 32<<10 {
		bad = append(bad, fmt.Sprintf("oversized answer (%d / %d bytes)", len(msg.Body), len(msg.FormattedBody)))
	}
	for _, r := range msg.Body + msg.FormattedBody {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			bad = append(bad, fmt.Sprintf("control character %U in the answer", r))
			break
		}
	}
	for _, m := range tagRE.FindAllStringSubmatch(msg.FormattedBody, -1) {
		if !allowedAnswerTags[strings.ToLower(m[1])] {
			bad = append(bad, fmt.Sprintf("unescaped <%s> in formatted_body", m[1]))
		}
	}
	if badLinkRE.MatchString(msg.FormattedBody) {
		bad = append(bad, "javascript:/data: link in formatted_body")
	}
	if handlerRE.MatchString(msg.FormattedBody) {
		bad = append(bad, "event handler attribute in formatted_body")
	}
	if strings.Contains(msg.Body, "**") && msg.Format == "" {
		bad = append(bad, "raw Markdown in a plain-only answer")
	}
	return bad
}

// TestFaultHostileMessages sends hostile and malformed messages into a
// group room (prefix needed) and an encrypted one: the bot must not stop,
// must answer a normal !help afterwards, and every answer must be a clean
// notice whose HTML carries nothing active from the input. Silence is a
// valid answer to garbage.
func TestFaultHostileMessages(t *testing.T) {
	needHomeserver(t)
	deadline := testDeadline(t, 120*time.Second)
	defer checkDeadline(t, deadline)
	tb := newTestBot(t, withEncryption)
	tb.noFlood = true // dozens of messages at once: not the flood limit's test
	tb.start()
	u := newTestUser(t, true)
	v := newTestUser(t, true)
	plain := u.CreateRoom(tb.userID, false, false, v.Client.UserID)
	secret := u.CreateRoom(tb.userID, true, false, v.Client.UserID)
	joinAll(t, tb.userID, []id.RoomID{plain, secret}, u, v)

	type sent struct {
		hostileCase
		room id.RoomID
		id   id.EventID
	}
	var all []sent
	cases := hostileCases(runLog.marker(t))
	for _, c := range cases {
		evtID, err := u.TrySend(plain, c.content)
		if err != nil {
			// the homeserver refused it: nothing reached the bot
			t.Logf("%-36s the homeserver refused it: %v", c.name, err)
			continue
		}
		all = append(all, sent{c, plain, evtID})
	}
	// In the encrypted room the malformed content is inside the ciphertext.
	for _, c := range cases {
		if _, raw := c.content.(map[string]any); !raw && !strings.Contains(c.name, "injection") {
			continue
		}
		evtID, err := u.TrySend(secret, c.content)
		if err != nil {
			t.Logf("%-36s (encrypted) the homeserver refused it: %v", c.name, err)
			continue
		}
		all = append(all, sent{hostileCase{c.name + " (encrypted)", c.content}, secret, evtID})
	}

	// The bot answers a room in order: once it has answered these, it has
	// dealt with everything before them.
	sentinels := []sentCmd{
		{user: u, room: plain, text: "!help", id: u.Say(plain, "!help"), phase: "after the hostile messages"},
		{user: u, room: secret, text: "!help", id: u.Say(secret, "!help"), phase: "after the hostile messages"},
	}
	if missing := awaitReplies(u, tb.userID, sentinels, deadline); len(missing) > 0 {
		select {
		case err := <-tb.done:
			tb.cancel = nil
			t.Fatalf("the bot stopped: %v", err)
		default:
		}
		t.Fatalf("the bot no longer answers !help after the hostile messages (%d of 2 unanswered)", len(missing))
	}
	for _, s := range sentinels {
		u.WaitAnswer(tb.userID, s.id) // checks it is a proper notice
	}
	select {
	case err := <-tb.done:
		tb.cancel = nil
		t.Fatalf("the bot stopped: %v", err)
	default:
	}

	counts := map[id.RoomID]map[id.EventID]int{
		plain:  u.ReplyCounts(plain, tb.userID),
		secret: u.ReplyCounts(secret, tb.userID),
	}
	answered := 0
	for _, s := range all {
		n := counts[s.room][s.id]
		if n > 1 {
			t.Errorf("%s: answered %d times", s.name, n)
		}
		evt := u.FirstAnswer(tb.userID, s.id)
		if evt == nil {
			if n > 0 {
				t.Errorf("%s: the answer is on the server but did not reach (or decrypt for) the user", s.name)
			}
			t.Logf("%-40s → silence", s.name)
			continue
		}
		answered++
		msg := evt.Content.AsMessage()
		if s.room == secret && evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
			t.Errorf("%s: the answer in the encrypted room did not decrypt", s.name)
		}
		first, _, _ := strings.Cut(msg.Body, "\n")
		t.Logf("%-40s → %.90q", s.name, first)
		if msg.Body == commands.NoticeUndecryptable.EN {
			// It did decrypt: malformed content is the sender's problem,
			// not a key problem, and must not use up the room's notice.
			t.Errorf("%s: answered %q", s.name, msg.Body)
		}
		for _, problem := range checkAnswerIsClean(msg) {
			t.Errorf("%s: %s\n  body: %.300q\n  formatted_body: %.300q", s.name, problem, msg.Body, msg.FormattedBody)
		}
	}
	t.Logf("%d hostile messages, %d answered, %d met with silence", len(all), answered, len(all)-answered)
	if answered == 0 {
		t.Error("the bot answered none of the hostile messages: the checks checked nothing")
	}
	if !slices.ContainsFunc(all, func(s sent) bool { return s.name == "64 KB body" }) {
		t.Error("the 64 KB message could not be sent: the case was not tested")
	}
}
