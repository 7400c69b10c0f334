package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/guidebot/guidebot/commands"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/bot/metrics"
)

// Rooms as users live them: a command answered, in a thread or not,
// what is ignored, who may invite, the flood limit, leaving when alone.

func TestPlainRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)

	cmd := u.Say(room, "!help")
	got := u.WaitAnswer(tb.userID, cmd)
	want := expected(t, "!help", false)
	if got.Body != want.Plain || got.FormattedBody != want.HTML {
		t.Errorf("answer = %q / %q, want %q / %q", got.Body, got.FormattedBody, want.Plain, want.HTML)
	}
	if got.RelatesTo.GetThreadParent() != "" {
		t.Error("answer outside a thread has a thread relation")
	}
	if got.Mentions == nil || !got.Mentions.Has(u.Client.UserID) {
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

func TestThreadAnswerStaysInThread(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)

	root := u.Say(room, "a thread about messengers")
	c := &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"}
	c.RelatesTo = (&event.RelatesTo{}).SetThread(root, root)
	cmd := u.Send(room, c)
	got := u.WaitAnswer(tb.userID, cmd)
	if got.RelatesTo.GetThreadParent() != root {
		t.Errorf("answer thread root = %q, want %q", got.RelatesTo.GetThreadParent(), root)
	}
	if got.RelatesTo.IsFallingBack {
		t.Error("answer's in_reply_to is only a thread fallback, not a real reply")
	}

	// With replies=reply the answer leaves the thread; with plain it has
	// no relation at all.
	if err := tb.bot.settings.set(context.Background(), room, commands.SettingReplies.Key, "plain"); err != nil {
		t.Fatal(err)
	}
	cmd2 := u.Send(room, &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"})
	evt := u.WaitEvent("a plain answer", waitLong, func(evt *event.Event) bool {
		m := evt.Content.AsMessage()
		return evt.Sender == tb.userID && m.RelatesTo == nil
	})
	if evt == nil || len(u.Answers(tb.userID, cmd2)) != 0 {
		t.Error("replies=plain answer carries a reply relation")
	}
}

func TestIgnoredEvents(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)

	// another bot's notice
	notice := u.Send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "!help"})
	// an edit turning a plain message into a command
	orig := u.Say(room, "hello")
	edit := &event.MessageEventContent{MsgType: event.MsgText, Body: "!help"}
	edit.SetEdit(orig) // "* !help" outside, "!help" in m.new_content
	edited := u.Send(room, edit)
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
	u.Sentinel(room, tb.userID, "!help")
	for name, evtID := range map[string]id.EventID{"notice": notice, "edit": edited, "own message": own.EventID} {
		if n := u.CountAnswers(room, tb.userID, evtID); n != 0 {
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
	resp, err := u.Client.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := resp.RoomID
	old := u.Say(room, "!help")
	if _, err := u.Client.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: tb.userID}); err != nil {
		t.Fatal(err)
	}
	u.WaitMembership(room, tb.userID, event.MembershipJoin)
	u.Sentinel(room, tb.userID, "!help")
	if n := u.CountAnswers(room, tb.userID, old); n != 0 {
		t.Errorf("a command from before the bot joined was answered %d times", n)
	}
}

func TestFloodLimit(t *testing.T) {
	needHomeserver(t)
	// not the default, so the test shows bot.rate_limit is what applies
	const limit = 3
	tb := newTestBot(t, func(c *config.Config) { c.Bot.RateLimit = limit })
	tb.start()
	u := newTestUser(t, false)
	v := newTestUser(t, false) // sends the sentinel: u is over the limit
	room := u.CreateRoom(tb.userID, false, false, v.ID())
	v.Join(room)
	u.WaitMembership(room, v.ID(), event.MembershipJoin)
	v.WaitMembership(room, tb.userID, event.MembershipJoin)
	var cmds []id.EventID
	for range limit {
		cmds = append(cmds, u.Say(room, "!help"))
	}
	// Over the limit, a command must not run, not only go unanswered: u
	// (the room's creator, allowed to change settings) tries to move the
	// prefix, and v's "!help" sentinel below is answered only if it stayed.
	for range 3 {
		cmds = append(cmds, u.Say(room, "!set prefix ?"))
	}
	// the first limit are answered, the next gets "slow down", the rest nothing
	for _, c := range cmds[:limit] {
		u.WaitAnswer(tb.userID, c)
	}
	slow := u.WaitAnswer(tb.userID, cmds[limit])
	if slow.Body != commands.NoticeSlowDown.EN {
		t.Errorf("flood notice = %q", slow.Body)
	}
	v.Sentinel(room, tb.userID, "!help") // an answer to u would come before its answer; answered with "!" only
	for _, c := range cmds[limit+1:] {
		if n := u.CountAnswers(room, tb.userID, c); n != 0 {
			t.Errorf("command past the flood notice answered %d times", n)
		}
	}
}

func TestInviteFromStrangerIsRejected(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withInviters("@someone-else:"+"localhost", "*:elsewhere.example"))
	tb.start()
	u := newTestUser(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := u.Client.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Invite: []id.UserID{tb.userID}})
	if err != nil {
		t.Fatal(err)
	}
	u.WaitMembership(resp.RoomID, tb.userID, event.MembershipLeave)
}

func TestLeavesWhenAlone(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := u.Client.LeaveRoom(ctx, room); err != nil {
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
