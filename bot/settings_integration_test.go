package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// Issue 4 as users live it: room settings changed with chat commands, by
// whoever may, per room, kept across restarts. TestSettingsPerRoom checks
// the same rules on the Room methods directly.

// chatRoom is the engine's view of a room in tests that compute the answer
// a chat command should get: settings, and whether the sender may change
// them (power level 50 needed).
type chatRoom struct {
	s   commands.Settings
	may bool
}

func (r *chatRoom) Settings() commands.Settings { return r.s }
func (r *chatRoom) MayChangeSettings(context.Context) (bool, int, error) {
	return r.may, 50, nil
}
func (r *chatRoom) SetSetting(_ context.Context, key, value string) error {
	return r.s.Apply(key, value)
}

// roomSettings are a room's settings with the test bot's defaults and the
// given changes.
func roomSettings(t testing.TB, kv ...string) commands.Settings {
	t.Helper()
	s := commands.DefaultSettings(content.EN, "!")
	for i := 0; i+1 < len(kv); i += 2 {
		if err := s.Apply(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// expectIn is the answer the engine gives to text in a room with settings
// s, computed in process.
func expectIn(t testing.TB, text string, s commands.Settings, may, direct bool) commands.Reply {
	t.Helper()
	r, ok := commands.New(content.Builtin()).Handle(context.Background(), commands.Request{
		Text: text, Room: &chatRoom{s: s, may: may}, Direct: direct, BotNames: []string{"guidebot"},
	})
	if !ok {
		t.Fatalf("the engine does not answer %q", text)
	}
	return r
}

// mark is where the user's received events stand, for since.
func (u *testUser) mark() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.events)
}

// since returns the events received after mark that the bot sent to room.
func (u *testUser) since(mark int, bot id.UserID, room id.RoomID) []*event.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*event.Event
	for _, evt := range u.events[min(mark, len(u.events)):] {
		if evt.Sender == bot && evt.RoomID == room {
			out = append(out, evt)
		}
	}
	return out
}

// waitBody waits for a message from bot in room with exactly this body,
// received after mark.
func (u *testUser) waitBody(mark int, bot id.UserID, room id.RoomID, body string) *event.Event {
	u.t.Helper()
	u.mu.Lock()
	skip := u.events[:min(mark, len(u.events))]
	u.mu.Unlock()
	old := map[*event.Event]bool{}
	for _, evt := range skip {
		old[evt] = true
	}
	short := body
	if i := strings.IndexByte(short, '\n'); i >= 0 {
		short = short[:i] + " …"
	}
	return u.waitEvent("the answer "+short, waitLong, func(evt *event.Event) bool {
		return !old[evt] && evt.Sender == bot && evt.RoomID == room && evt.Content.AsMessage().Body == body
	})
}

// checkAnswer sends text as u in room, waits for the reply and checks it
// is want.
func (u *testUser) checkAnswer(bot id.UserID, room id.RoomID, text string, want commands.Reply) *event.MessageEventContent {
	u.t.Helper()
	got := u.waitAnswer(bot, u.say(room, text))
	if got.Body != want.Plain || got.FormattedBody != want.HTML {
		u.t.Errorf("answer to %q differs from the expected one: %s", text, firstDiff(got.Body, want.Plain))
	}
	return got
}

// firstDiff shows where two answers part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is\n\t%q\nwant\n\t%q", i+1, gl, wl)
		}
	}
	return "(same text, different HTML)"
}

// groupRoom is a room of owner, member and the bot: not a direct message,
// so the prefix is needed and power levels count.
func groupRoom(t *testing.T, bot id.UserID, owner, member *testUser) id.RoomID {
	t.Helper()
	room := owner.createRoom(bot, false, false, member.client.UserID)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := member.client.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	owner.waitMembership(room, member.client.UserID, event.MembershipJoin)
	member.waitMembership(room, bot, event.MembershipJoin)
	return room
}

const (
	frenchOnly  = "Dernière vérification" // the card's "Last reviewed"
	englishOnly = "Last reviewed"
)

func TestSettingsOverChat(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.noFlood = true // users here send commands faster than the flood limit allows
	tb.start()
	bot := tb.userID
	mod := newTestUser(t, false)    // creates the rooms: power level 100
	member := newTestUser(t, false) // joins them: power level 0
	room := groupRoom(t, bot, mod, member)
	other := groupRoom(t, bot, mod, member)

	en := roomSettings(t)
	mod.checkAnswer(bot, room, "!messenger signal", expectIn(t, "!messenger signal", en, true, false))

	// A plain member may not change the prefix; the refusal names the
	// power level needed, and the old prefix still works, the new one not.
	refusal := member.checkAnswer(bot, room, "!set prefix ?", expectIn(t, "!set prefix ?", en, false, false))
	if !strings.Contains(refusal.Body, "power level 50") {
		t.Errorf("refusal %q does not say power level 50 is needed", refusal.Body)
	}
	notCmd := member.say(room, "?help")
	member.checkAnswer(bot, room, "!help", expectIn(t, "!help", en, false, false))
	mod.checkAnswer(bot, room, "!settings", expectIn(t, "!settings", en, true, false))

	// Users' words never reach the info log: an unknown messenger in a
	// command, and chatter that is no command at all.
	word, chat := runLog.marker(t), runLog.marker(t)
	member.say(room, "see you at "+chat)
	member.checkAnswer(bot, room, "!messenger "+word, expectIn(t, "!messenger "+word, en, false, false))

	// The moderator switches the room to French: only that room changes.
	fr := roomSettings(t, "language", "fr")
	mod.checkAnswer(bot, room, "!set language fr", expectIn(t, "!set language fr", en, true, false))
	card := mod.checkAnswer(bot, room, "!messenger signal", expectIn(t, "!messenger signal", fr, true, false))
	if !strings.Contains(card.Body, frenchOnly) {
		t.Errorf("card after !set language fr is not in French:\n%s", card.Body)
	}
	card = mod.checkAnswer(bot, other, "!messenger signal", expectIn(t, "!messenger signal", en, true, false))
	if !strings.Contains(card.Body, englishOnly) || strings.Contains(card.Body, frenchOnly) {
		t.Errorf("card in the other room is not in English:\n%s", card.Body)
	}

	// The moderator changes the prefix: ?help is answered, !help is not,
	// and !help still works in the other room.
	fr = roomSettings(t, "language", "fr", "prefix", "?")
	mod.checkAnswer(bot, room, "!set prefix ?", expectIn(t, "!set prefix ?", roomSettings(t, "language", "fr"), true, false))
	old := mod.say(room, "!help")
	mod.checkAnswer(bot, room, "?help", expectIn(t, "?help", fr, true, false))
	mod.checkAnswer(bot, other, "!help", expectIn(t, "!help", en, true, false))
	time.Sleep(waitQuiet)
	if n := mod.countAnswers(room, bot, old); n != 0 {
		t.Errorf("!help after the prefix became ? answered %d times", n)
	}
	if n := mod.countAnswers(room, bot, notCmd); n != 0 {
		t.Errorf("?help sent while the prefix was ! answered %d times", n)
	}

	// replies=plain: the answers carry no relation at all.
	before := roomSettings(t, "language", "fr", "prefix", "?")
	fr = roomSettings(t, "language", "fr", "prefix", "?", "replies", "plain")
	m := mod.mark()
	mod.say(room, "?set replies plain")
	mod.waitBody(m, bot, room, expectIn(t, "?set replies plain", before, true, false).Plain)
	m = mod.mark()
	mod.say(room, "?compare signal briar")
	evt := mod.waitBody(m, bot, room, expectIn(t, "?compare signal briar", fr, true, false).Plain)
	if _, ok := evt.Content.Raw["m.relates_to"]; ok {
		t.Errorf("answer with replies=plain carries m.relates_to: %v", evt.Content.Raw["m.relates_to"])
	}

	// !settings lists the values in effect.
	m = mod.mark()
	mod.say(room, "?settings")
	evt = mod.waitBody(m, bot, room, expectIn(t, "?settings", fr, true, false).Plain)
	for _, want := range []string{"language (langue) = fr", "prefix (prefixe) = ?", "replies (reponses) = plain", "announcements (annonces) = off"} {
		if !strings.Contains(evt.Content.AsMessage().Body, want) {
			t.Errorf("?settings answer lacks %q:\n%s", want, evt.Content.AsMessage().Body)
		}
	}

	// After a restart, everything holds, in each room.
	tb.stop()
	tb.start()
	m = mod.mark()
	mod.say(room, "!help")
	mod.say(room, "?messenger signal")
	evt = mod.waitBody(m, bot, room, expectIn(t, "?messenger signal", fr, true, false).Plain)
	if !strings.Contains(evt.Content.AsMessage().Body, frenchOnly) {
		t.Error("card after restart is not in French")
	}
	if _, ok := evt.Content.Raw["m.relates_to"]; ok {
		t.Error("answer after restart carries m.relates_to: replies=plain was lost")
	}
	card = mod.checkAnswer(bot, other, "!messenger signal", expectIn(t, "!messenger signal", en, true, false))
	if strings.Contains(card.Body, frenchOnly) {
		t.Error("the other room answers in French after the restart")
	}
	time.Sleep(waitQuiet)
	if n := len(mod.since(m, bot, room)); n != 1 {
		t.Errorf("after the restart the room got %d answers, want 1 (only ?messenger; !help is no command there)", n)
	}
}

// TestSettingsInDirectMessage: in a DM the other member may change the
// settings even without the power level a group asks for.
func TestSettingsInDirectMessage(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.noFlood = true // users here send commands faster than the flood limit allows
	tb.start()
	bot := tb.userID
	u := newTestUser(t, false)
	dm := u.createRoom(bot, false, true)

	// The user gives up their power level, and the bot sees it.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	var pl event.PowerLevelsEventContent
	if err := u.client.StateEvent(ctx, dm, event.StatePowerLevels, "", &pl); err != nil {
		t.Fatal(err)
	}
	pl.SetUserLevel(u.client.UserID, 0)
	if _, err := u.client.SendStateEvent(ctx, dm, event.StatePowerLevels, "", &pl); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := tb.bot.client.StateStore.GetPowerLevels(ctx, dm)
		if err == nil && got != nil && got.GetUserLevel(u.client.UserID) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the bot never saw the user's power level drop to 0")
		case <-time.After(50 * time.Millisecond):
		}
	}

	en := roomSettings(t)
	word := runLog.marker(t)
	u.checkAnswer(bot, dm, "messenger "+word, expectIn(t, "messenger "+word, en, true, true))
	got := u.checkAnswer(bot, dm, "set language fr", expectIn(t, "set language fr", en, true, true))
	if strings.Contains(got.Body, "50") {
		t.Errorf("the DM member was refused: %q", got.Body)
	}
	card := u.checkAnswer(bot, dm, "messenger signal", expectIn(t, "messenger signal", roomSettings(t, "language", "fr"), true, true))
	if !strings.Contains(card.Body, frenchOnly) {
		t.Errorf("card after set language fr in the DM is not in French:\n%s", card.Body)
	}
}
