package bot

import (
	"context"
	"strings"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A direct chat is a room of two. The is_direct flag on an invite is the
// inviter's claim and proves nothing: if the bot believed it, any member
// of a group could make it treat the group as a DM, where the prefix is
// not needed (every line gets an answer) and the other member may change
// the settings without the power level.

// TestDirectFlagBypass: bob, power level 0 in alice's room of three,
// invites the bot with is_direct set. The room stays a group for the bot:
// bob may not move the prefix, and lines without the prefix get nothing.
// The true DM, where a line without the prefix is answered, is
// TestDirectMessageWithoutPrefix; the control at the end only shows that
// the same flagged invite into a room of two does make a DM.
func TestDirectFlagBypass(t *testing.T) {
	needHomeserver(t)
	alice, bob, carol := newTestUser(t, false), newTestUser(t, false), newTestUser(t, false)
	// only bob may invite: the invite the bot acts on is his
	tb := newTestBot(t, withInviters(bob.ID().String()))
	tb.start()
	bot := tb.userID

	room := alice.CreateGroup(bob.User, carol.User)
	bob.InviteDirect(room, bot)
	for _, u := range []*testUser{alice, bob, carol} {
		u.WaitMembership(room, bot, event.MembershipJoin)
	}
	if !bob.InvitedDirect(room, bot) {
		t.Fatal("the bot's invite in the history is not flagged is_direct")
	}

	en := roomSettings(t)
	refusal := bob.checkAnswer(bot, room, "!set prefix ?", expectIn(t, "!set prefix ?", en, false, false))
	if !strings.Contains(refusal.Body, "power level 50") {
		t.Errorf("refusal %q does not say power level 50 is needed", refusal.Body)
	}
	// "?help" would be a command had the prefix moved; "hello" and
	// "signal" would be answered in a DM.
	first := bob.Say(room, "?help")
	bob.Say(room, "hello")
	bob.Say(room, "signal")
	// carol's !about is answered with the prefix unchanged; the bot answers
	// a room in order, so anything it would send about bob's lines came
	// before.
	carol.checkAnswer(bot, room, "!about", expectIn(t, "!about", en, false, false))
	if sent := carol.SentAfter(room, bot, first); len(sent) != 1 {
		t.Errorf("after bob's lines without the prefix the bot sent %d messages, want 1 (the answer to !about)", len(sent))
		for _, evt := range sent {
			t.Logf("  %s: %.80q", evt.ID, evt.Content.Raw["body"])
		}
	}
	if p := tb.bot.settings.get(room).Prefix; p != "!" {
		t.Errorf("prefix = %q after bob's refused !set prefix ?, want !", p)
	}

	// Control: the same flagged invite into a room of bob and the bot.
	dm := bob.CreateGroup()
	bob.InviteDirect(dm, bot)
	bob.WaitMembership(dm, bot, event.MembershipJoin)
	bob.checkAnswer(bot, dm, "signal", expectIn(t, "signal", en, true, true))
}

// TestDirectFlagThirdMember: a real DM (bob and the bot, the invite
// flagged) stops being one when bob brings carol in: the bot counts the
// members again, so carol (power level 0) may not move the prefix and her
// lines without it get nothing.
func TestDirectFlagThirdMember(t *testing.T) {
	needHomeserver(t)
	bob, carol := newTestUser(t, false), newTestUser(t, false)
	tb := newTestBot(t, withInviters(bob.ID().String()))
	tb.start()
	bot := tb.userID

	dm := bob.CreateGroup()
	bob.InviteDirect(dm, bot)
	bob.WaitMembership(dm, bot, event.MembershipJoin)
	en := roomSettings(t)
	// a DM: a line without the prefix is answered (and the bot has counted
	// two members)
	bob.checkAnswer(bot, dm, "signal", expectIn(t, "signal", en, true, true))

	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := bob.Client.InviteUser(ctx, dm, &mautrix.ReqInviteUser{UserID: carol.ID()}); err != nil {
		t.Fatal(err)
	}
	carol.Join(dm)
	bob.WaitMembership(dm, carol.ID(), event.MembershipJoin)
	carol.WaitMembership(dm, bot, event.MembershipJoin)

	// carol's join comes before her lines in the room: the bot has seen it
	// when it reads them
	refusal := carol.checkAnswer(bot, dm, "!set prefix ?", expectIn(t, "!set prefix ?", en, false, false))
	if !strings.Contains(refusal.Body, "power level 50") {
		t.Errorf("refusal %q does not say power level 50 is needed", refusal.Body)
	}
	first := carol.Say(dm, "hello")
	carol.Say(dm, "signal")
	bob.checkAnswer(bot, dm, "!about", expectIn(t, "!about", en, true, false))
	if sent := bob.SentAfter(dm, bot, first); len(sent) != 1 {
		t.Errorf("after carol's lines without the prefix the bot sent %d messages, want 1 (the answer to !about)", len(sent))
	}
	if p := tb.bot.settings.get(dm).Prefix; p != "!" {
		t.Errorf("prefix = %q after carol's refused !set prefix ?, want !", p)
	}
}

// racingStore is a state store where a member event lands (the sync
// applies it and drops the bot's count) while a room worker is reading the
// members: the moment between its read and its write of the count.
type racingStore struct {
	mautrix.StateStore
	during func()
}

func (s *racingStore) GetRoomJoinedOrInvitedMembers(ctx context.Context, room id.RoomID) ([]id.UserID, error) {
	members, err := s.StateStore.GetRoomJoinedOrInvitedMembers(ctx, room)
	if f := s.during; f != nil {
		s.during = nil
		f()
	}
	return members, err
}

// TestDirectFlagCountRace: a count read from the store before a member
// event was applied must not be kept after that event dropped the count,
// or a DM a third member just joined stays a DM (TestDirectFlagThirdMember
// with the worst timing). Without the homeserver: the race is made, not
// waited for.
func TestDirectFlagCountRace(t *testing.T) {
	ctx := context.Background()
	const room = id.RoomID("!dm:localhost")
	bot, bob, carol := id.UserID("@bot:localhost"), id.UserID("@bob:localhost"), id.UserID("@carol:localhost")
	store := &racingStore{StateStore: mautrix.NewMemoryStateStore()}
	for _, u := range []id.UserID{bot, bob} {
		if err := store.SetMembership(ctx, room, u, event.MembershipJoin); err != nil {
			t.Fatal(err)
		}
	}
	b := &Bot{client: &mautrix.Client{UserID: bot, StateStore: store}, members: memberCache{counts: map[id.RoomID]int{}}}
	store.during = func() {
		// the sync: the state store handler, then onMember
		if err := store.SetMembership(ctx, room, carol, event.MembershipJoin); err != nil {
			t.Error(err)
		}
		b.members.forget(room)
	}
	if n, err := b.members.count(ctx, b, room); err != nil || n != 2 {
		t.Fatalf("count during carol's join = %d, %v; want 2 (read before it), nil", n, err)
	}
	if b.isDirect(ctx, room) {
		t.Error("after carol joined, the room of three is still a DM for the bot")
	}
	if n, _ := b.members.count(ctx, b, room); n != 3 {
		t.Errorf("count after carol's join = %d, want 3", n)
	}
}
