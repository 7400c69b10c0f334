package bot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// Issue 5 as an operator and users live it: the bot reads content.dir with
// the loader run.go uses, the operator edits changes.yaml and sends SIGHUP
// (through ReloadOnSignal, as run.go wires it), and subscribed rooms are
// told, each in its language, once.

// reloadableContent serves tb the built-in content until publish adds
// entry to it; poke hands the bot a reload, as SIGHUP would.
type reloadableContent struct {
	t       *testing.T
	current atomic.Pointer[content.Set]
	next    content.Set
	reload  chan struct{}
}

// newReloadableContent wires itself into tb, which must not be started yet.
func newReloadableContent(t *testing.T, tb *testBot, entry *content.Change) *reloadableContent {
	rc := &reloadableContent{t: t, next: *content.Builtin(), reload: make(chan struct{})}
	rc.next.Changes = append([]*content.Change{entry}, rc.next.Changes...)
	rc.current.Store(content.Builtin())
	tb.opts.LoadContent = func() (*content.Set, error) { return rc.current.Load(), nil }
	tb.opts.Reload = rc.reload
	return rc
}

func (rc *reloadableContent) poke() {
	rc.t.Helper()
	select {
	case rc.reload <- struct{}{}:
	case <-time.After(waitLong):
		rc.t.Fatal("the announcer did not take the reload")
	}
}

// publish makes entry part of the content and reloads.
func (rc *reloadableContent) publish() {
	rc.t.Helper()
	rc.current.Store(&rc.next)
	rc.poke()
}

// TestAnnouncements: a subscribed room gets a new change-log entry once,
// after a reload; a room that did not subscribe gets nothing.
func TestAnnouncements(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, func(c *config.Config) { c.Announcements.Schedule = "" })
	entry := &content.Change{
		ID:   "test-entry",
		Date: content.Date{Time: time.Now().AddDate(1, 0, 0).Truncate(24 * time.Hour)},
		Text: content.Text{EN: "Test messenger added for the announcement test", FR: "Messagerie de test ajoutée"},
	}
	rc := newReloadableContent(t, tb, entry)
	tb.start()
	u := newTestUser(t, false)
	subscribed := u.CreateRoom(tb.userID, false, false)
	quiet := u.CreateRoom(tb.userID, false, false)
	r := &matrixRoom{bot: tb.bot, id: subscribed, sender: u.Client.UserID}
	if err := r.SetSetting(context.Background(), commands.SettingAnnouncements.Key, "on"); err != nil {
		t.Fatal(err)
	}

	poke := rc.poke
	poke() // same content: nothing to announce
	rc.publish()
	evt := u.WaitEvent("the announcement", waitLong, func(evt *event.Event) bool {
		return evt.Sender == tb.userID && evt.RoomID == subscribed && strings.Contains(evt.Content.AsMessage().Body, entry.Text.EN)
	})
	if m := evt.Content.AsMessage(); m.MsgType != event.MsgNotice || m.FormattedBody == "" || m.RelatesTo != nil {
		t.Errorf("announcement = %+v, want an m.notice with HTML and no relation", m)
	}
	poke() // again: already sent
	poke() // taken once the refresh before it is over
	// What the bot would still send to these rooms comes before the
	// sentinels' answers; then the server's history tells.
	u.Sentinel(subscribed, tb.userID, "!help")
	u.Sentinel(quiet, tb.userID, "!help")
	if got := u.announcements(subscribed, tb.userID); len(got) != 1 || !strings.Contains(got[0], entry.Text.EN) {
		t.Errorf("the subscribed room got the announcements %q, want the test entry once", got)
	}
	if got := u.announcements(quiet, tb.userID); len(got) != 0 {
		t.Errorf("a room that did not subscribe got %q", got)
	}
}

// appendChange adds an entry to changes.yaml in dir and returns the line
// (1-based) its date is on.
func appendChange(t *testing.T, dir, id, date, en, fr string) (dateLine int) {
	t.Helper()
	path := filepath.Join(dir, "changes.yaml")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	entry := fmt.Sprintf(`  - id: %s
    date: %s
    messengers: []
    text:
      en: %s
      fr: %s
    source: https://example.org/guidebot-announce-test
`, id, date, en, fr)
	if err := os.WriteFile(path, append(old, entry...), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(old), "\n") + 2
}

// announcements counts, from the room's history on the server, the bot's
// messages that reply to nothing: announcements (every answer in these
// rooms is a reply).
func (u *testUser) announcements(room id.RoomID, bot id.UserID) []string {
	u.T.Helper()
	var bodies []string
	for _, evt := range u.History(room) {
		if evt.Sender != bot || evt.Type.Type != "m.room.message" {
			continue
		}
		if _, ok := evt.Content.Raw["m.relates_to"]; !ok {
			body, _ := evt.Content.Raw["body"].(string)
			bodies = append(bodies, body)
		}
	}
	return bodies
}

func TestAnnouncementsOnSIGHUP(t *testing.T) {
	needHomeserver(t)
	dir := filepath.Join(t.TempDir(), "content")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "content", "data"))); err != nil {
		t.Fatal(err)
	}
	tb := newTestBot(t, func(c *config.Config) {
		c.Content.Dir = dir
		c.Announcements.Schedule = "" // only SIGHUP reloads, so the test decides when
	})
	tb.noFlood = true
	load := ContentLoader(tb.cfg.Content)
	reload, stopReload := ReloadOnSignal(syscall.SIGHUP)
	t.Cleanup(stopReload)
	tb.opts.LoadContent, tb.opts.Reload = load, reload
	// start as run does: the engine answers from the loaded content
	start := func() *content.Set {
		set, err := load()
		if err != nil {
			t.Fatal(err)
		}
		tb.opts.Engine = commands.New(set)
		tb.start()
		return set
	}
	// hup reloads as the operator does, and waits for the bot to log the
	// outcome (msg), which it returns.
	hup := func(msg string) map[string]any {
		t.Helper()
		mark := tb.logMark()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		return tb.waitLog(mark, msg, waitLong, nil)
	}
	initial := start()
	bot := tb.userID
	u := newTestUser(t, false)
	enRoom := u.CreateRoom(bot, false, false)
	frRoom := u.CreateRoom(bot, false, false)
	quiet := u.CreateRoom(bot, false, false)
	en, fr := roomSettings(t), roomSettings(t, "language", "fr")
	u.checkAnswer(bot, enRoom, "!subscribe", expectIn(t, "!subscribe", en, true, true))
	u.checkAnswer(bot, frRoom, "!set language fr", expectIn(t, "!set language fr", en, true, true))
	u.checkAnswer(bot, frRoom, "!subscribe", expectIn(t, "!subscribe", fr, true, true))
	u.checkAnswer(bot, quiet, "!help", expectIn(t, "!help", en, true, true))

	// The operator adds an entry and sends SIGHUP.
	date := initial.Changes[0].Date.AddDate(0, 0, 1).Format(time.DateOnly)
	entryID := date + "-testchat-added"
	textEN := "Testchat added to the recommended messengers."
	textFR := "Testchat rejoint les messageries recommandées."
	appendChange(t, dir, entryID, date, textEN, textFR)
	next, err := load()
	if err != nil {
		t.Fatalf("the edited content does not load: %v", err)
	}
	if next.Version() != entryID {
		t.Fatalf("content version after the edit = %s, want %s", next.Version(), entryID)
	}
	refreshed := hup("Content refreshed")
	if refreshed["content_version"] != entryID || refreshed["rooms_sent"] != float64(2) {
		t.Errorf("refresh logged %v, want version %s sent to 2 rooms", refreshed, entryID)
	}
	for room, lang := range map[id.RoomID]content.Lang{enRoom: content.EN, frRoom: content.FR} {
		want := commands.RenderAnnouncement(next, next.Changes[:1], lang)
		u.WaitEvent(fmt.Sprintf("the %s announcement", lang), waitLong, func(evt *event.Event) bool {
			return evt.Sender == bot && evt.RoomID == room && evt.Content.AsMessage().Body == want.Plain
		})
	}
	// counts reads the rooms' history once a sentinel command is answered in
	// each: what the bot would still send there has come before.
	counts := func(when string, wantEN, wantFR int) {
		t.Helper()
		for _, room := range []id.RoomID{enRoom, frRoom, quiet} {
			u.Sentinel(room, bot, "!help")
		}
		for _, c := range []struct {
			name string
			room id.RoomID
			n    int
			text string
		}{{"English", enRoom, wantEN, textEN}, {"French", frRoom, wantFR, textFR}, {"unsubscribed", quiet, 0, ""}} {
			got := u.announcements(c.room, bot)
			if len(got) != c.n {
				t.Errorf("%s: the %s room got %d announcements, want %d: %q", when, c.name, len(got), c.n, got)
				continue
			}
			for _, body := range got {
				if !strings.Contains(body, c.text) {
					t.Errorf("%s: the %s room's announcement does not name the change in its language: %q", when, c.name, body)
				}
			}
		}
	}
	counts("after the reload", 1, 1)

	// A restart sends nothing more, on its own or at the next reload; a
	// room that subscribes now does not get the backlog.
	tb.stop()
	start()
	late := u.CreateRoom(bot, false, false)
	u.checkAnswer(bot, late, "!subscribe", expectIn(t, "!subscribe", en, true, true))
	refreshed = hup("Content refreshed")
	if refreshed["rooms_sent"] != float64(0) {
		t.Errorf("refresh after the restart logged %v, want nothing sent", refreshed)
	}
	counts("after a restart and a reload", 1, 1)
	u.Sentinel(late, bot, "!help")
	if got := u.announcements(late, bot); len(got) != 0 {
		t.Errorf("a room that subscribed after the entries existed got %q", got)
	}

	// A broken edit is refused: logged with file:line:col, nothing
	// announced, the commands answer from the content in use.
	brokenID := "2099-01-01-brokenchat"
	line := appendChange(t, dir, brokenID, "2099-13-45", "Brokenchat added.", "Brokenchat ajoutée.")
	failed := hup("Content refresh failed")
	where := fmt.Sprintf("changes.yaml:%d:%d", line, len("    date: ")+1)
	if msg, _ := failed["error"].(string); !strings.Contains(msg, where) {
		t.Errorf("refusal logged as %q, want it to point at %s", msg, where)
	}
	if failed["level"] != "error" {
		t.Errorf("refusal logged at level %v, want error", failed["level"])
	}
	u.checkAnswer(bot, enRoom, "!changes 1", expectFrom(t, next, "!changes 1", en))
	u.checkAnswer(bot, frRoom, "!about", expectFrom(t, next, "!about", fr))
	counts("after a broken edit", 1, 1)
}

// expectFrom is the answer an engine over set gives to text.
func expectFrom(t testing.TB, set *content.Set, text string, s commands.Settings) commands.Reply {
	t.Helper()
	r, ok := commands.New(set).Handle(context.Background(), commands.Request{
		Text: text, Room: &chatRoom{s: s, may: true}, Direct: true, BotNames: []string{"guidebot"},
	})
	if !ok {
		t.Fatalf("the engine does not answer %q", text)
	}
	return r
}
