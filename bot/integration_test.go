package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

func TestPlainRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)

	cmd := u.say(room, "!help")
	got := u.waitAnswer(tb.userID, cmd)
	want := expected(t, "!help", false)
	if got.Body != want.Plain || got.FormattedBody != want.HTML {
		t.Errorf("answer = %q / %q, want %q / %q", got.Body, got.FormattedBody, want.Plain, want.HTML)
	}
	if got.RelatesTo.GetThreadParent() != "" {
		t.Error("answer outside a thread has a thread relation")
	}
	if got.Mentions == nil || !got.Mentions.Has(u.client.UserID) {
		t.Error("answer does not mention the asker")
	}
	// the user may see the answer before the bot has its send response
	counted := tb.metrics.Commands.WithLabelValues(want.Command, metrics.OutcomeOK)
	for deadline := time.Now().Add(5 * time.Second); counterValue(counted) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := counterValue(counted); n != 1 {
		t.Errorf("commands_total{%s,ok} = %v, want 1", want.Command, n)
	}
	if ok, reason := tb.health.Status(); !ok {
		t.Errorf("health = %s, want ok", reason)
	}
}

func TestLeavesWhenAlone(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := u.client.LeaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := tb.bot.client.JoinedRooms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(resp.JoinedRooms, room) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the bot stayed in a room it is alone in")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestAccessTokenLogin: a bot configured with an access token (no
// password), as homeservers with OIDC need, works in an encrypted room.
func TestAccessTokenLogin(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	cli, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	login, err := cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: tb.userID.String()},
		Password:   testPassword})
	if err != nil {
		t.Fatal(err)
	}
	tb.cfg.Matrix.Password = ""
	tb.cfg.Matrix.AccessToken = login.AccessToken
	tb.cfg.Matrix.DeviceID = "" // looked up with /whoami
	tb.start()
	if tb.bot.client.DeviceID != login.DeviceID {
		t.Errorf("device = %s, want the token's %s", tb.bot.client.DeviceID, login.DeviceID)
	}
	u := newTestUser(t, true)
	room := u.createRoom(tb.userID, true, false)
	u.waitAnswer(tb.userID, u.say(room, "!help"))
	tb.stop()
	tb.start() // and again after a restart, with the stored keys
	u.waitAnswer(tb.userID, u.say(room, "!help"))
}

func TestEncryptedRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	tb.start()
	u := newTestUser(t, true)
	room := u.createRoom(tb.userID, true, false)

	cmd := u.say(room, "!help")
	evt := u.waitEvent("a decrypted answer", waitLong, func(evt *event.Event) bool {
		return evt.Sender == tb.userID && evt.Content.AsMessage().RelatesTo.GetReplyTo() == cmd
	})
	if evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
		t.Error("the answer in an encrypted room was not encrypted")
	}
	if want := expected(t, "!help", false); evt.Content.AsMessage().Body != want.Plain {
		t.Errorf("answer = %q, want %q", evt.Content.AsMessage().Body, want.Plain)
	}

	// The bot cross-signed its device at start (it has a password).
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	mach := u.crypto.Machine()
	dev, err := mach.GetOrFetchDevice(ctx, tb.userID, tb.bot.client.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	if trust, err := mach.ResolveTrustContext(ctx, dev); err != nil || trust < id.TrustStateCrossSignedTOFU {
		t.Errorf("bot device trust = %s, %v; want cross-signed", trust, err)
	}
}

func TestDirectMessageWithoutPrefix(t *testing.T) {
	needHomeserver(t)
	for _, encrypted := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypted], func(t *testing.T) {
			opts := []botOption{}
			if encrypted {
				opts = append(opts, withEncryption)
			}
			tb := newTestBot(t, opts...)
			tb.start()
			u := newTestUser(t, encrypted)
			room := u.createRoom(tb.userID, encrypted, true)
			cmd := u.say(room, "help")
			got := u.waitAnswer(tb.userID, cmd)
			if want := expected(t, "help", true); got.Body != want.Plain {
				t.Errorf("answer = %q, want %q", got.Body, want.Plain)
			}
		})
	}
}

func TestThreadAnswerStaysInThread(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)

	root := u.say(room, "a thread about messengers")
	c := &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"}
	c.RelatesTo = (&event.RelatesTo{}).SetThread(root, root)
	cmd := u.send(room, c)
	got := u.waitAnswer(tb.userID, cmd)
	if got.RelatesTo.GetThreadParent() != root {
		t.Errorf("answer thread root = %q, want %q", got.RelatesTo.GetThreadParent(), root)
	}
	if got.RelatesTo.IsFallingBack {
		t.Error("answer's in_reply_to is only a thread fallback, not a real reply")
	}

	// With replies=reply the answer leaves the thread; with plain it has
	// no relation at all.
	if err := tb.bot.settings.set(context.Background(), room, SettingReplies, "plain"); err != nil {
		t.Fatal(err)
	}
	cmd2 := u.send(room, &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"})
	evt := u.waitEvent("a plain answer", waitLong, func(evt *event.Event) bool {
		m := evt.Content.AsMessage()
		return evt.Sender == tb.userID && m.RelatesTo == nil
	})
	if evt == nil || len(u.answers(tb.userID, cmd2)) != 0 {
		t.Error("replies=plain answer carries a reply relation")
	}
}

func TestInviteFromStrangerIsRejected(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withInviters("@someone-else:"+"localhost", "*:elsewhere.example"))
	tb.start()
	u := newTestUser(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := u.client.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Invite: []id.UserID{tb.userID}})
	if err != nil {
		t.Fatal(err)
	}
	u.waitMembership(resp.RoomID, tb.userID, event.MembershipLeave)
}

func TestIgnoredEvents(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)

	// another bot's notice
	notice := u.send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "!help"})
	// an edit turning a plain message into a command
	orig := u.say(room, "hello")
	edit := &event.MessageEventContent{MsgType: event.MsgText, Body: "* !help",
		NewContent: &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"}}
	edit.SetEdit(orig)
	edited := u.send(room, edit)
	// the bot's own account, from another device
	self, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := self.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: tb.userID.String()},
		Password:   testPassword, StoreCredentials: true}); err != nil {
		t.Fatal(err)
	}
	own, err := self.SendMessageEvent(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"})
	if err != nil {
		t.Fatal(err)
	}

	// A command sent after them is answered; the bot handles a room in
	// order, so by then any answer to them would have come too.
	sentinel := u.say(room, "!help")
	u.waitAnswer(tb.userID, sentinel)
	time.Sleep(500 * time.Millisecond)
	for name, evtID := range map[string]id.EventID{"notice": notice, "edit": edited, "own message": own.EventID} {
		if n := u.countAnswers(room, tb.userID, evtID); n != 0 {
			t.Errorf("the bot answered the %s %d times", name, n)
		}
	}
}

func TestOldMessagesBeforeJoinAreIgnored(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := u.client.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := resp.RoomID
	old := u.say(room, "!help")
	if _, err := u.client.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: tb.userID}); err != nil {
		t.Fatal(err)
	}
	u.waitMembership(room, tb.userID, event.MembershipJoin)
	sentinel := u.say(room, "!help")
	u.waitAnswer(tb.userID, sentinel)
	time.Sleep(500 * time.Millisecond)
	if n := u.countAnswers(room, tb.userID, old); n != 0 {
		t.Errorf("a command from before the bot joined was answered %d times", n)
	}
}

// restartScenario: answered before a restart → never again; sent while the
// bot is down → answered exactly once after it starts; sent after → answered.
func restartScenario(t *testing.T, encrypted bool, opts ...botOption) {
	if encrypted {
		opts = append(opts, withEncryption)
	}
	tb := newTestBot(t, opts...)
	tb.start()
	u := newTestUser(t, encrypted)
	room := u.createRoom(tb.userID, encrypted, false)
	want := expected(t, "!help", false).Plain

	before := u.say(room, "!help")
	if got := u.waitAnswer(tb.userID, before); got.Body != want {
		t.Errorf("answer before restart = %q", got.Body)
	}
	tb.stop()
	during := u.say(room, "!help")
	time.Sleep(300 * time.Millisecond)
	tb.start()
	if got := u.waitAnswer(tb.userID, during); got.Body != want {
		t.Errorf("answer to the command sent while down = %q, want %q", got.Body, want)
	}
	after := u.say(room, "!help")
	if got := u.waitAnswer(tb.userID, after); got.Body != want {
		t.Errorf("answer after restart = %q, want %q", got.Body, want)
	}
	// settings survive the restart too, per room
	if err := tb.bot.settings.set(context.Background(), room, SettingPrefix, "?"); err != nil {
		t.Fatal(err)
	}
	// a second restart must not replay anything either
	tb.stop()
	tb.start()
	if p := tb.bot.settings.get(room).Prefix; p != "?" {
		t.Errorf("prefix after restart = %q, want ?", p)
	}
	if err := tb.bot.settings.set(context.Background(), room, SettingPrefix, "!"); err != nil {
		t.Fatal(err)
	}
	last := u.say(room, "!help")
	u.waitAnswer(tb.userID, last)
	time.Sleep(waitQuiet)
	for name, evtID := range map[string]id.EventID{"before": before, "during": during, "after": after, "last": last} {
		if n := u.countAnswers(room, tb.userID, evtID); n != 1 {
			t.Errorf("command %q answered %d times, want exactly once", name, n)
		}
	}
}

func TestRestartPlain(t *testing.T) {
	needHomeserver(t)
	restartScenario(t, false)
}

func TestRestartEncrypted(t *testing.T) {
	needHomeserver(t)
	restartScenario(t, true)
}

func TestSettingsPerRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	owner := newTestUser(t, false)
	guest := newTestUser(t, false)
	roomA := owner.createRoom(tb.userID, false, false, guest.client.UserID)
	roomB := owner.createRoom(tb.userID, false, false)
	ctx := context.Background()
	if _, err := guest.client.JoinRoomByID(ctx, roomA); err != nil {
		t.Fatal(err)
	}
	owner.waitMembership(roomA, guest.client.UserID, event.MembershipJoin)

	// Power levels: the creator (100) may, a new member (0) may not.
	ra := &matrixRoom{bot: tb.bot, id: roomA, sender: owner.client.UserID}
	if ok, needed, err := ra.MayChangeSettings(ctx); err != nil || !ok || needed != 50 {
		t.Errorf("owner MayChangeSettings = %v, %d, %v; want true, 50, nil", ok, needed, err)
	}
	rg := &matrixRoom{bot: tb.bot, id: roomA, sender: guest.client.UserID}
	if ok, _, err := rg.MayChangeSettings(ctx); err != nil || ok {
		t.Errorf("guest MayChangeSettings = %v, %v; want false, nil", ok, err)
	}
	tb.bot.cfg.Bot.Admins = []string{guest.client.UserID.String()}
	if ok, _, _ := rg.MayChangeSettings(ctx); !ok {
		t.Error("an admin may not change settings")
	}

	if err := ra.SetSetting(ctx, SettingPrefix, "?"); err != nil {
		t.Fatal(err)
	}
	if err := ra.SetSetting(ctx, SettingLanguage, "fr"); err != nil {
		t.Fatal(err)
	}
	if err := ra.SetSetting(ctx, "colour", "blue"); err == nil {
		t.Error("unknown setting accepted")
	}
	if err := ra.SetSetting(ctx, SettingPrefix, "abc"); err == nil {
		t.Error("alphanumeric prefix accepted")
	}

	tb.stop()
	tb.start()
	a := (&matrixRoom{bot: tb.bot, id: roomA}).Settings()
	b := (&matrixRoom{bot: tb.bot, id: roomB}).Settings()
	if a.Prefix != "?" || a.Language != content.FR || a.Replies != "thread" || a.Announcements {
		t.Errorf("room A settings after restart = %+v", a)
	}
	if b != (commands.Settings{Language: content.EN, Prefix: "!", Replies: "thread"}) {
		t.Errorf("room B settings = %+v, want the defaults", b)
	}

	// The new prefix works in room A; the default still works in room B.
	cmdA := owner.say(roomA, "?help")
	owner.waitAnswer(tb.userID, cmdA)
	cmdB := owner.say(roomB, "!help")
	owner.waitAnswer(tb.userID, cmdB)
}

func TestFloodLimit(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)
	var cmds []id.EventID
	for range floodMax + 3 {
		cmds = append(cmds, u.say(room, "!help"))
	}
	// the first floodMax are answered, the next gets "slow down", the rest nothing
	for _, c := range cmds[:floodMax] {
		u.waitAnswer(tb.userID, c)
	}
	slow := u.waitAnswer(tb.userID, cmds[floodMax])
	if slow.Body != slowDown.EN {
		t.Errorf("flood notice = %q", slow.Body)
	}
	time.Sleep(waitQuiet)
	for _, c := range cmds[floodMax+1:] {
		if n := u.countAnswers(room, tb.userID, c); n != 0 {
			t.Errorf("command past the flood notice answered %d times", n)
		}
	}
}

func TestUndecryptableNotice(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	tb.start()
	u := newTestUser(t, true)
	room := u.createRoom(tb.userID, true, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	// An encrypted event the bot cannot decrypt: olm ciphertext addressed
	// to nobody, sent raw so the client does not encrypt it properly.
	bogus := map[string]any{
		"algorithm":  id.AlgorithmOlmV1,
		"sender_key": "bogus",
		"ciphertext": map[string]any{},
	}
	var first id.EventID
	for i := range 2 {
		resp, err := u.client.SendMessageEvent(ctx, room, event.EventEncrypted, bogus, mautrix.ReqSendEvent{DontEncrypt: true})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = resp.EventID
		}
	}
	u.waitAnswer2(tb.userID, first)
	time.Sleep(waitQuiet)
	u.mu.Lock()
	n := 0
	for _, evt := range u.events {
		if evt.Sender == tb.userID && evt.Content.AsMessage().Body == cannotRead.EN {
			n++
		}
	}
	u.mu.Unlock()
	if n != 1 {
		t.Errorf("got %d undecryptable notices, want exactly 1", n)
	}
}

// waitAnswer2 waits for any notice replying to eventID (no HTML needed).
func (u *testUser) waitAnswer2(bot id.UserID, eventID id.EventID) {
	u.t.Helper()
	u.waitEvent("a notice about "+eventID.String(), waitLong, func(evt *event.Event) bool {
		return evt.Sender == bot && evt.Content.AsMessage().RelatesTo.GetReplyTo() == eventID
	})
}

func TestHomeserverRestart(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	tb.start()
	u := newTestUser(t, true)
	room := u.createRoom(tb.userID, true, false)
	u.waitAnswer(tb.userID, u.say(room, "!help"))

	if err := hs.Restart(); err != nil {
		t.Fatal(err)
	}
	cmd := u.say(room, "!help")
	u.waitAnswer(tb.userID, cmd)
	select {
	case err := <-tb.done:
		t.Fatalf("bot stopped after the homeserver restarted: %v", err)
	default:
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

// TestRestartBusyRoom: more messages arrived while the bot was down than
// one sync returns (a limited timeline); the commands among them are all
// answered, once.
func TestRestartBusyRoom(t *testing.T) {
	needHomeserver(t)
	old := syncTimelineLimit
	syncTimelineLimit = 3
	t.Cleanup(func() { syncTimelineLimit = old })
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)
	before := u.say(room, "!help")
	u.waitAnswer(tb.userID, before)

	tb.stop()
	// Notices fill the timeline without being commands (in a two-member
	// room any text is one).
	var cmds []id.EventID
	for range 4 {
		cmds = append(cmds, u.say(room, "!help"))
		for range 2 {
			u.send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "filler"})
		}
	}
	tb.start()
	for _, c := range cmds {
		u.waitAnswer(tb.userID, c)
	}
	time.Sleep(waitQuiet)
	for i, c := range append([]id.EventID{before}, cmds...) {
		if n := u.countAnswers(room, tb.userID, c); n != 1 {
			t.Errorf("command %d answered %d times, want once", i, n)
		}
	}
}

// TestEncryptedRoomWithoutEncryption: a bot with encryption off says it
// cannot read an encrypted room instead of staying silent.
func TestEncryptedRoomWithoutEncryption(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, true)
	room := u.createRoom(tb.userID, true, false)
	cmd := u.say(room, "!help")
	u.waitEvent("the cannot-read notice", waitLong, func(evt *event.Event) bool {
		m := evt.Content.AsMessage()
		return evt.Sender == tb.userID && m.RelatesTo.GetReplyTo() == cmd && m.Body == noEncryption.EN
	})
}

// TestAnnouncements: a subscribed room gets a new change-log entry once,
// after a reload; a room that did not subscribe gets nothing.
func TestAnnouncements(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, func(c *Config) { c.Announcements.Schedule = "" })
	next := *content.Builtin()
	entry := &content.Change{
		ID:   "test-entry",
		Date: content.Date{Time: time.Now().AddDate(1, 0, 0).Truncate(24 * time.Hour)},
		Text: content.Text{EN: "Test messenger added for the announcement test", FR: "Messagerie de test ajoutée"},
	}
	next.Changes = append([]*content.Change{entry}, next.Changes...)
	var current atomic.Pointer[content.Set]
	current.Store(content.Builtin())
	reload := make(chan struct{})
	tb.opts.LoadContent = func() (*content.Set, error) { return current.Load(), nil }
	tb.opts.Reload = reload
	tb.start()
	u := newTestUser(t, false)
	subscribed := u.createRoom(tb.userID, false, false)
	quiet := u.createRoom(tb.userID, false, false)
	r := &matrixRoom{bot: tb.bot, id: subscribed, sender: u.client.UserID}
	if err := r.SetSetting(context.Background(), SettingAnnouncements, "on"); err != nil {
		t.Fatal(err)
	}

	poke := func() {
		select {
		case reload <- struct{}{}:
		case <-time.After(waitLong):
			t.Fatal("the announcer did not take the reload")
		}
	}
	poke() // same content: nothing to announce
	current.Store(&next)
	poke()
	evt := u.waitEvent("the announcement", waitLong, func(evt *event.Event) bool {
		return evt.Sender == tb.userID && evt.RoomID == subscribed && strings.Contains(evt.Content.AsMessage().Body, entry.Text.EN)
	})
	if m := evt.Content.AsMessage(); m.MsgType != event.MsgNotice || m.FormattedBody == "" || m.RelatesTo != nil {
		t.Errorf("announcement = %+v, want an m.notice with HTML and no relation", m)
	}
	poke() // again: already sent
	time.Sleep(waitQuiet)
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, evt := range u.events {
		if evt.Sender == tb.userID && strings.Contains(evt.Content.AsMessage().Body, entry.Text.EN) {
			if evt.RoomID != subscribed {
				t.Error("a room that did not subscribe got the announcement")
			}
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d announcements, want 1", n)
	}
	_ = quiet
}

// failingSends fails the bot's message sends while failing is set, as a
// homeserver that accepts syncs but cannot store events would.
type failingSends struct {
	failing  atomic.Bool
	attempts atomic.Int32
}

func (f *failingSends) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.failing.Load() && req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/send/m.room.message/") {
		f.attempts.Add(1)
		return nil, errors.New("injected network failure")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestFailedSendIsRetried: an answer that cannot be sent (after the HTTP
// retries) is not lost: the batch is fetched again and the command answered
// exactly once, and the other room of the same batch is not answered twice.
func TestFailedSendIsRetried(t *testing.T) {
	needHomeserver(t)
	old := httpBackoff
	httpBackoff = 10 * time.Millisecond
	t.Cleanup(func() { httpBackoff = old })
	f := &failingSends{}
	tb := newTestBot(t)
	tb.transport = f
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)

	f.failing.Store(true)
	cmd := u.say(room, "!help")
	deadline := time.Now().Add(waitLong)
	for f.attempts.Load() < httpRetries+1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if f.attempts.Load() < httpRetries+1 {
		t.Fatalf("only %d send attempts", f.attempts.Load())
	}
	f.failing.Store(false)
	u.waitAnswer(tb.userID, cmd)
	after := u.say(room, "!help")
	u.waitAnswer(tb.userID, after)
	time.Sleep(waitQuiet)
	for name, c := range map[string]id.EventID{"failed": cmd, "after": after} {
		if n := u.countAnswers(room, tb.userID, c); n != 1 {
			t.Errorf("%s command answered %d times, want once", name, n)
		}
	}
}

// TestLoginAgainAfterLogout: when its token is revoked, a bot with a
// password logs in again and keeps answering.
func TestLoginAgainAfterLogout(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)
	u.waitAnswer(tb.userID, u.say(room, "!help"))

	other, err := mautrix.NewClient(hs.URL, tb.userID, tb.bot.client.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := other.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	// the long poll in flight ends, the next sync is refused, the bot logs in
	for tb.bot.relogins.Load() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the bot did not log in again")
		case err := <-tb.done:
			tb.cancel = nil
			t.Fatalf("the bot stopped: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	u.waitAnswer(tb.userID, u.say(room, "!help"))
}

// TestStartWhileHomeserverDown: a bot started while the homeserver is
// unreachable waits for it instead of exiting.
func TestStartWhileHomeserverDown(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	u := newTestUser(t, false)
	if err := hs.Stop(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = hs.Resume() // keep the other tests going
		}
	}()
	b, err := New(tb.cfg, tb.logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.transport = tokenSniffer{}
	ctx, cancel := context.WithCancel(context.Background())
	tb.bot, tb.cancel, tb.done = b, cancel, make(chan error, 1)
	go func() { tb.done <- b.Run(ctx) }()
	select {
	case err := <-tb.done:
		tb.cancel = nil
		t.Fatalf("bot gave up while the homeserver was down: %v", err)
	case <-time.After(3 * time.Second):
	}
	resumed = true
	if err := hs.Resume(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Ready():
	case err := <-tb.done:
		tb.cancel = nil
		t.Fatalf("bot stopped: %v", err)
	case <-time.After(2 * waitLong):
		t.Fatal("bot did not connect after the homeserver came back")
	}
	room := u.createRoom(tb.userID, false, false)
	u.waitAnswer(tb.userID, u.say(room, "!help"))
}

// lateKeys holds back the to-device events (room keys) of the bot's syncs
// until the sync after the one carrying an encrypted room message, so the
// message arrives before its key, as happens when to-device delivery lags.
type lateKeys struct {
	mu       sync.Mutex
	from     string // the sender of the message that must come first
	armed    bool
	seen     bool // the encrypted message went through, keyless
	held     []json.RawMessage
	released atomic.Bool
}

func (l *lateKeys) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/sync") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var sync map[string]json.RawMessage
	if json.Unmarshal(body, &sync) == nil {
		var td struct {
			Events []json.RawMessage `json:"events"`
		}
		_ = json.Unmarshal(sync["to_device"], &td)
		l.mu.Lock()
		switch {
		case l.armed && !l.seen:
			l.held = append(l.held, td.Events...)
			td.Events = nil
			rooms := string(sync["rooms"])
			l.seen = strings.Contains(rooms, `"m.room.encrypted"`) && strings.Contains(rooms, `"sender":"`+l.from+`"`)
		case l.armed && l.seen:
			td.Events = append(l.held, td.Events...)
			l.held, l.armed = nil, false
			l.released.Store(true)
		}
		l.mu.Unlock()
		sync["to_device"], _ = json.Marshal(td)
		body, _ = json.Marshal(sync)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestEncryptedKeyArrivesLate: a command whose room key comes in a later
// sync is decrypted once the key is there and answered.
func TestEncryptedKeyArrivesLate(t *testing.T) {
	needHomeserver(t)
	keys := &lateKeys{}
	tb := newTestBot(t, withEncryption)
	tb.transport = keys
	tb.start()
	u := newTestUser(t, true)
	room := u.createRoom(tb.userID, true, false)
	u.waitAnswer(tb.userID, u.say(room, "!help")) // sessions set up

	// a new megolm session, so the next message needs a new key
	if err := u.crypto.Machine().CryptoStore.RemoveOutboundGroupSession(context.Background(), room); err != nil {
		t.Fatal(err)
	}
	keys.mu.Lock()
	keys.armed, keys.from = true, u.client.UserID.String()
	keys.mu.Unlock()
	cmd := u.say(room, "!help")
	// wake the bot's sync so that the held key is delivered
	deadline := time.Now().Add(waitLong)
	for !keys.released.Load() && time.Now().Before(deadline) {
		u.send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "wake up"})
		time.Sleep(500 * time.Millisecond)
	}
	if !keys.released.Load() {
		t.Fatal("the held key was never released")
	}
	u.waitAnswer(tb.userID, cmd)
}
