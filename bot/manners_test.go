package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// What users do after the fact, as they live it: a command edited or
// redacted, a room upgraded. Every check reads the room's history on the
// server, after a sentinel command or after the event was seen in a sync.

// botMessages is the bot's m.room.message events in a history, oldest
// first: its answers, edits and announcements.
func botMessages(evts []*event.Event, bot id.UserID) []*event.Event {
	var out []*event.Event
	for _, evt := range bottest.SentBy(evts, bot) {
		if evt.Type == event.EventMessage {
			out = append(out, evt)
		}
	}
	return out
}

// waitEditOf waits until u's sync brings bot's edit of answer made after
// mark, then returns that edit as the server's history has it.
func waitEditOf(u *testUser, mark int, bot id.UserID, room id.RoomID, answer id.EventID, what string) *event.Event {
	u.T.Helper()
	seen := u.WaitSince(mark, what, waitLong, func(evt *event.Event) bool {
		return evt.Sender == bot && evt.RoomID == room && evt.Content.AsMessage().RelatesTo.GetReplaceID() == answer
	})
	evt := bottest.Find(u.History(room), seen.ID)
	if evt == nil {
		u.T.Fatalf("%s: %s was received but is not in the room's history", what, seen.ID)
	}
	return evt
}

// checkEdit fails the test unless evt (from the history) edits answer into
// want.
func checkEdit(t *testing.T, evt *event.Event, answer id.EventID, want commands.Reply) {
	t.Helper()
	if to := bottest.Replaces(evt); to != answer {
		t.Errorf("the bot's edit replaces %q, want its answer %s", to, answer)
	}
	if plain, html := bottest.NewContent(evt); plain != want.Plain || html != want.HTML {
		t.Errorf("the edited answer's m.new_content differs from the expected one: %s", firstDiff(plain, want.Plain))
	}
}

// TestEditedCommand: a command edited into another gets its answer edited
// to match (not a second answer); a line that was no command and is edited
// into one gets a fresh answer, which later edits then edit.
func TestEditedCommand(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.noFlood = true // several commands close together: not the flood limit's test
	tb.start()
	owner, member := newTestUser(t, false), newTestUser(t, false)
	// three members: not a direct chat, so a line without the prefix is no command
	room := groupRoom(t, tb.userID, owner, member)

	for _, tc := range []struct {
		name  string
		first string   // the line as first sent
		edits []string // then edited, in turn, into these
	}{
		{"command edited", "!messenger signal", []string{"!messenger briar"}},
		{"line edited into a command", "signal is nice", []string{"!messenger briar", "!messenger threema"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := owner.Say(room, tc.first)
			var answer id.EventID
			if strings.HasPrefix(tc.first, "!") {
				answer = owner.WaitReply(tb.userID, orig).ID
			}
			for _, text := range tc.edits {
				want := expected(t, text, false)
				mark := owner.Mark()
				owner.Edit(room, orig, text)
				if answer != "" {
					checkEdit(t, waitEditOf(owner, mark, tb.userID, room, answer, "the edit of the answer"), answer, want)
					continue
				}
				// the first answer: a reply to the line itself, not an edit
				seen := owner.WaitSince(mark, "a fresh answer", waitLong, func(evt *event.Event) bool {
					return evt.Sender == tb.userID && evt.RoomID == room && evt.Content.AsMessage().RelatesTo.GetReplyTo() == orig
				})
				answer = seen.ID
				evt := bottest.Find(owner.History(room), answer)
				if evt == nil {
					t.Fatalf("the fresh answer %s is not in the room's history", answer)
				}
				if to := bottest.Replaces(evt); to != "" {
					t.Errorf("the answer to a line edited into a command edits %s; want a new message", to)
				}
				if body, _ := evt.Content.Raw["body"].(string); body != want.Plain {
					t.Errorf("the fresh answer differs from the expected one: %s", firstDiff(body, want.Plain))
				}
			}

			// Nothing more: one answer to the line, one edit of it per edit.
			owner.Sentinel(room, tb.userID, "!help")
			replies, edits := 0, 0
			for _, evt := range botMessages(owner.History(room), tb.userID) {
				switch {
				case bottest.Replaces(evt) == answer:
					edits++
				case bottest.RepliesTo(evt) == orig:
					replies++
				}
			}
			wantEdits := len(tc.edits)
			if !strings.HasPrefix(tc.first, "!") {
				wantEdits-- // the first edit was answered afresh
			}
			if replies != 1 || edits != wantEdits {
				t.Errorf("the bot sent %d answers to the line and %d edits of the answer, want 1 and %d", replies, edits, wantEdits)
			}
		})
	}
}

// TestEditNotRepeatedAfterRestart: edits handled before a restart are not
// handled again after it; an edit sent while the bot was down is handled
// once when it is back.
func TestEditNotRepeatedAfterRestart(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.noFlood = true
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)

	orig := u.Say(room, "!messenger signal")
	answer := u.WaitReply(tb.userID, orig).ID
	mark := u.Mark()
	u.Edit(room, orig, "!messenger briar")
	checkEdit(t, waitEditOf(u, mark, tb.userID, room, answer, "the edit before the restart"), answer, expected(t, "!messenger briar", false))

	tb.stop()
	mark = u.Mark()
	u.Edit(room, orig, "!messenger threema")
	tb.start()
	checkEdit(t, waitEditOf(u, mark, tb.userID, room, answer, "the edit sent while the bot was down"), answer, expected(t, "!messenger threema", false))

	// A second restart replays nothing either.
	tb.stop()
	tb.start()
	sentinel := u.Sentinel(room, tb.userID, "!help")

	// The bot's messages in the room: the answer, two edits, the
	// sentinel's answer, and nothing else.
	var got []string
	for _, evt := range botMessages(u.History(room), tb.userID) {
		switch {
		case bottest.Replaces(evt) == answer:
			plain, _ := bottest.NewContent(evt)
			got = append(got, "edit:"+strings.SplitN(plain, "\n", 2)[0])
		case bottest.RepliesTo(evt) == orig:
			got = append(got, "answer")
		case bottest.RepliesTo(evt) == sentinel:
			got = append(got, "sentinel")
		default:
			got = append(got, "other:"+evt.ID.String())
		}
	}
	first := func(text string) string { return strings.SplitN(expected(t, text, false).Plain, "\n", 2)[0] }
	want := []string{"answer", "edit:" + first("!messenger briar"), "edit:" + first("!messenger threema"), "sentinel"}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("the bot's messages in the room are\n\t%q\nwant\n\t%q", got, want)
	}
}

// TestRedactedCommand: when a command is redacted the bot redacts its
// answer; a redacted line that got no answer makes the bot do nothing.
func TestRedactedCommand(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.noFlood = true
	tb.start()
	owner, member := newTestUser(t, false), newTestUser(t, false)
	room := groupRoom(t, tb.userID, owner, member)

	for _, tc := range []struct {
		name     string
		first    string // the line as sent
		edit     string // if not "", then edited into this
		answered bool
	}{
		{"command", "!messenger signal", "", true},
		{"line edited into a command", "signal is nice", "!messenger briar", true},
		{"not a command", "signal is nice", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := owner.Say(room, tc.first)
			if tc.edit != "" {
				owner.Edit(room, orig, tc.edit)
			}
			var answer id.EventID
			if tc.answered {
				answer = owner.WaitReply(tb.userID, orig).ID
			}
			owner.Redact(room, orig)
			// the bot handles a room in order: its redaction comes before this answer
			owner.Sentinel(room, tb.userID, "!help")
			history := owner.History(room)
			// the bot's redactions since the line (earlier subtests' come before it)
			var redactions []id.EventID
			since := false
			for _, evt := range history {
				since = since || evt.ID == orig
				if since && evt.Sender == tb.userID && evt.Type == event.EventRedaction {
					target := evt.Redacts
					if r, ok := evt.Content.Raw["redacts"].(string); ok && target == "" {
						target = id.EventID(r) // where newer room versions put it
					}
					redactions = append(redactions, target)
				}
			}
			if !tc.answered {
				if len(redactions) != 0 {
					t.Errorf("the bot redacted %v after a line it never answered was redacted", redactions)
				}
				return
			}
			if len(redactions) != 1 || redactions[0] != answer {
				t.Errorf("the bot's redactions after its answer %s: %v, want that answer once", answer, redactions)
			}
			if evt := bottest.Find(history, answer); evt == nil || !bottest.Redacted(evt) {
				t.Errorf("the answer %s does not show as redacted in the room's history", answer)
			}
		})
	}
}

// TestUpgradeFollowsRoom: when the room's creator upgrades it, the bot
// joins the replacement, which keeps the old room's settings and its
// announcement subscription, and leaves the old room.
func TestUpgradeFollowsRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, func(c *config.Config) { c.Announcements.Schedule = "" })
	tb.noFlood = true
	entry := &content.Change{
		ID:   "upgrade-test-entry",
		Date: content.Date{Time: time.Now().AddDate(1, 0, 0).Truncate(24 * time.Hour)},
		Text: content.Text{EN: "Test entry for the upgrade test", FR: "Entrée de test pour la mise à niveau"},
	}
	rc := newReloadableContent(t, tb, entry) // announcements on a reload the test decides
	tb.start()

	owner, member := newTestUser(t, false), newTestUser(t, false)
	// public, so that members can follow it to its replacement without an
	// invite (the server does not invite anyone there)
	old := owner.CreatePublicRoom(tb.userID, "9", member.ID())
	joinAll(t, tb.userID, []id.RoomID{old}, owner, member)
	for _, text := range []string{"!set language fr", "!subscribe", "!set prefix ?"} {
		owner.WaitAnswer(tb.userID, owner.Say(old, text))
	}
	want := roomSettings(t, "language", "fr", "announcements", "on", "prefix", "?")
	if got := tb.bot.settings.get(old); got != want {
		t.Fatalf("settings of the room before the upgrade = %+v, want %+v", got, want)
	}

	repl := owner.Upgrade(old, "10")
	owner.WaitMembership(repl, tb.userID, event.MembershipJoin)
	owner.WaitMembership(old, tb.userID, event.MembershipLeave)
	if m := owner.Membership(repl, tb.userID); m != event.MembershipJoin {
		t.Errorf("the bot's membership in the replacement room is %q on the server, want join", m)
	}
	if m := owner.Membership(old, tb.userID); m != event.MembershipLeave {
		t.Errorf("the bot's membership in the upgraded room is %q on the server, want leave", m)
	}
	joinAll(t, tb.userID, []id.RoomID{repl}, owner, member)

	// the new prefix and the language hold in the replacement
	text := "?messenger signal"
	owner.checkAnswer(tb.userID, repl, text, expectIn(t, text, want, true, false))
	if got := tb.bot.settings.get(repl); got != want {
		t.Errorf("settings of the replacement room = %+v, want %+v", got, want)
	}

	// and so does the subscription: the next announcement goes there, in French
	rc.publish()
	owner.WaitEvent("the announcement in the replacement room", waitLong, func(evt *event.Event) bool {
		return evt.Sender == tb.userID && evt.RoomID == repl && strings.Contains(evt.Content.AsMessage().Body, entry.Text.FR)
	})
	owner.Sentinel(repl, tb.userID, "?help")
	if got := owner.announcements(repl, tb.userID); len(got) != 1 || !strings.Contains(got[0], entry.Text.FR) {
		t.Errorf("the replacement room got the announcements %q, want the test entry once, in French", got)
	}
	if got := owner.announcements(old, tb.userID); len(got) != 0 {
		t.Errorf("the upgraded room got the announcements %q, want none", got)
	}
}

// TestUpgradePrivateRoomFollowsOnInvite: the replacement of a private room
// cannot be joined on seeing the tombstone; the bot stays in the old room
// until someone invites it to the new one, then carries the settings over
// and leaves the old room.
func TestUpgradePrivateRoomFollowsOnInvite(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, func(c *config.Config) { c.Announcements.Schedule = "" })
	tb.noFlood = true
	tb.start()

	owner, member := newTestUser(t, false), newTestUser(t, false)
	old := owner.CreateRoom(tb.userID, false, false, member.ID())
	joinAll(t, tb.userID, []id.RoomID{old}, owner, member)
	for _, text := range []string{"!set language fr", "!set prefix ?"} {
		owner.WaitAnswer(tb.userID, owner.Say(old, text))
	}
	want := roomSettings(t, "language", "fr", "prefix", "?")

	repl := owner.Upgrade(old, "10")
	// The old room is closed to members' messages now, so no sentinel: wait
	// for the bot's outbox to have handled the tombstone. It could not join
	// a room it was not invited to, so it is still in the old one.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	tomb, err := owner.Client.FullStateEvent(ctx, old, event.StateTombstone, "")
	if err != nil {
		t.Fatal(err)
	}
	for {
		seen, err := tb.bot.outbox.table.has(ctx, tomb.ID)
		if err != nil {
			t.Fatal(err)
		}
		pending, err := tb.bot.outbox.table.pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen && !slices.ContainsFunc(pending, func(r *outboxRow) bool { return r.EventID == tomb.ID }) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the bot did not handle the tombstone %s (seen %v)", tomb.ID, seen)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if m := owner.Membership(repl, tb.userID); m == event.MembershipJoin {
		t.Fatalf("the bot joined the private replacement without an invite")
	}
	if m := owner.Membership(old, tb.userID); m != event.MembershipJoin {
		t.Fatalf("the bot's membership in the upgraded room is %q before any invite, want join", m)
	}

	if _, err := owner.Client.InviteUser(ctx, repl, &mautrix.ReqInviteUser{UserID: tb.userID}); err != nil {
		t.Fatal(err)
	}
	owner.WaitMembership(repl, tb.userID, event.MembershipJoin)
	owner.WaitMembership(old, tb.userID, event.MembershipLeave)
	joinAll(t, tb.userID, []id.RoomID{repl}, owner)
	text := "?messenger signal"
	owner.checkAnswer(tb.userID, repl, text, expectIn(t, text, want, true, false))
	if got := tb.bot.settings.get(repl); got != want {
		t.Errorf("settings of the replacement room = %+v, want %+v", got, want)
	}
}

// TestFakePredecessorDoesNotMoveRoom: a room that claims to replace one the
// bot is in, without that room's tombstone naming it, takes nothing from it
// and does not make the bot leave it.
func TestFakePredecessorDoesNotMoveRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.noFlood = true
	tb.start()

	owner, other := newTestUser(t, false), newTestUser(t, false)
	room := owner.CreateRoom(tb.userID, false, false, other.ID())
	joinAll(t, tb.userID, []id.RoomID{room}, owner, other)
	owner.WaitAnswer(tb.userID, owner.Say(room, "!set prefix ?"))

	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := other.Client.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset:          "private_chat",
		Invite:          []id.UserID{tb.userID, owner.ID()},
		CreationContent: map[string]any{"predecessor": map[string]any{"room_id": room, "event_id": "$fake"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	other.WaitMembership(resp.RoomID, tb.userID, event.MembershipJoin)
	// The bot is still in the first room and answers there with its prefix;
	// the new room has the defaults.
	owner.Sentinel(room, tb.userID, "?help")
	if m := owner.Membership(room, tb.userID); m != event.MembershipJoin {
		t.Errorf("the bot's membership in the claimed predecessor is %q, want join", m)
	}
	if got := tb.bot.settings.get(resp.RoomID).Prefix; got != "!" {
		t.Errorf("the new room's prefix is %q, want the default !", got)
	}
}
