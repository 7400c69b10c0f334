package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// Issue 4 as users live it: room settings changed with chat commands, by
// whoever may, per room, kept across restarts. TestSettingsPerRoom checks
// the same rules on the Room methods directly.

func TestSettingsPerRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	owner := newTestUser(t, false)
	guest := newTestUser(t, false)
	roomA := owner.CreateRoom(tb.userID, false, false, guest.Client.UserID)
	roomB := owner.CreateRoom(tb.userID, false, false)
	ctx := context.Background()
	if _, err := guest.Client.JoinRoomByID(ctx, roomA); err != nil {
		t.Fatal(err)
	}
	owner.WaitMembership(roomA, guest.Client.UserID, event.MembershipJoin)

	// Power levels: the creator (100) may, a new member (0) may not.
	ra := &matrixRoom{bot: tb.bot, id: roomA, sender: owner.Client.UserID}
	if ok, needed, err := ra.MayChangeSettings(ctx); err != nil || !ok || needed != 50 {
		t.Errorf("owner MayChangeSettings = %v, %d, %v; want true, 50, nil", ok, needed, err)
	}
	rg := &matrixRoom{bot: tb.bot, id: roomA, sender: guest.Client.UserID}
	if ok, _, err := rg.MayChangeSettings(ctx); err != nil || ok {
		t.Errorf("guest MayChangeSettings = %v, %v; want false, nil", ok, err)
	}
	tb.bot.cfg.Bot.Admins = []string{guest.Client.UserID.String()}
	if ok, _, _ := rg.MayChangeSettings(ctx); !ok {
		t.Error("an admin may not change settings")
	}

	if err := ra.SetSetting(ctx, commands.SettingPrefix.Key, "?"); err != nil {
		t.Fatal(err)
	}
	if err := ra.SetSetting(ctx, commands.SettingLanguage.Key, "fr"); err != nil {
		t.Fatal(err)
	}
	if err := ra.SetSetting(ctx, "colour", "blue"); err == nil {
		t.Error("unknown setting accepted")
	}
	if err := ra.SetSetting(ctx, commands.SettingPrefix.Key, "abc"); err == nil {
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
	cmdA := owner.Say(roomA, "?help")
	owner.WaitAnswer(tb.userID, cmdA)
	cmdB := owner.Say(roomB, "!help")
	owner.WaitAnswer(tb.userID, cmdB)
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
	notCmd := member.Say(room, "?help")
	member.checkAnswer(bot, room, "!help", expectIn(t, "!help", en, false, false))
	mod.checkAnswer(bot, room, "!settings", expectIn(t, "!settings", en, true, false))

	// Users' words never reach the info log: an unknown messenger in a
	// command, and chatter that is no command at all.
	word, chat := runLog.marker(t), runLog.marker(t)
	member.Say(room, "see you at "+chat)
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
	old := mod.Say(room, "!help")
	mod.checkAnswer(bot, room, "?help", expectIn(t, "?help", fr, true, false))
	mod.checkAnswer(bot, other, "!help", expectIn(t, "!help", en, true, false))
	// ?help, answered, came after both in the room: the bot answers a room
	// in order, so an answer to them would have come before it.
	if n := mod.CountAnswers(room, bot, old); n != 0 {
		t.Errorf("!help after the prefix became ? answered %d times", n)
	}
	if n := mod.CountAnswers(room, bot, notCmd); n != 0 {
		t.Errorf("?help sent while the prefix was ! answered %d times", n)
	}

	// replies=plain: the answers carry no relation at all.
	before := roomSettings(t, "language", "fr", "prefix", "?")
	fr = roomSettings(t, "language", "fr", "prefix", "?", "replies", "plain")
	m := mod.Mark()
	mod.Say(room, "?set replies plain")
	mod.waitBody(m, bot, room, expectIn(t, "?set replies plain", before, true, false).Plain)
	m = mod.Mark()
	mod.Say(room, "?compare signal briar")
	evt := mod.waitBody(m, bot, room, expectIn(t, "?compare signal briar", fr, true, false).Plain)
	if _, ok := evt.Content.Raw["m.relates_to"]; ok {
		t.Errorf("answer with replies=plain carries m.relates_to: %v", evt.Content.Raw["m.relates_to"])
	}

	// !settings lists the values in effect.
	m = mod.Mark()
	mod.Say(room, "?settings")
	evt = mod.waitBody(m, bot, room, expectIn(t, "?settings", fr, true, false).Plain)
	for _, want := range []string{"language (langue) = fr", "prefix (prefixe) = ?", "replies (reponses) = plain", "announcements (annonces) = off"} {
		if !strings.Contains(evt.Content.AsMessage().Body, want) {
			t.Errorf("?settings answer lacks %q:\n%s", want, evt.Content.AsMessage().Body)
		}
	}

	// After a restart, everything holds, in each room.
	tb.stop()
	tb.start()
	m = mod.Mark()
	notHelp := mod.Say(room, "!help")
	mod.Say(room, "?messenger signal")
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
	// A sentinel (its answer has no relation here: replies=plain), then
	// the server's history: after !help the bot sent two answers, to
	// ?messenger and to the sentinel; !help is no command there, and nothing
	// from before the restart is sent again.
	mod.Say(room, "?help")
	mod.waitBody(m, bot, room, expectIn(t, "?help", fr, true, false).Plain)
	n, after := 0, false
	for _, evt := range mod.History(room) {
		if evt.ID == notHelp {
			after = true
		} else if after && evt.Sender == bot && evt.Type.Type == "m.room.message" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("after the restart the room got %d answers, want 2 (?messenger and the sentinel ?help; !help is no command there)", n)
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
	dm := u.CreateRoom(bot, false, true)

	// The user gives up their power level, and the bot sees it.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	var pl event.PowerLevelsEventContent
	if err := u.Client.StateEvent(ctx, dm, event.StatePowerLevels, "", &pl); err != nil {
		t.Fatal(err)
	}
	pl.SetUserLevel(u.Client.UserID, 0)
	if _, err := u.Client.SendStateEvent(ctx, dm, event.StatePowerLevels, "", &pl); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := tb.bot.client.StateStore.GetPowerLevels(ctx, dm)
		if err == nil && got != nil && got.GetUserLevel(u.Client.UserID) == 0 {
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
