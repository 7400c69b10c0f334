package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// The bot marks a command read when it answers it, as clients show it: its
// read receipt in the room points at the command.
func TestAnsweredCommandIsMarkedRead(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)
	cmd := u.Say(room, "!help")
	u.WaitAnswer(tb.userID, cmd)

	// The receipt is sent after the answer is accepted; wait for it (a
	// condition met, not a quiet period), reading the room's receipts
	// from a fresh sync each time.
	ctx := testContext(t)
	var last id.EventID
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if last = readReceipt(ctx, t, u, room, tb.userID); last == cmd {
			return
		}
	}
	t.Errorf("the bot's read receipt is on %q, want the command %s", last, cmd)
}

// readReceipt is the event bot's m.read receipt in room points at, as an
// initial sync shows the room's receipts.
func readReceipt(ctx context.Context, t *testing.T, u *testUser, room id.RoomID, bot id.UserID) id.EventID {
	t.Helper()
	resp, err := u.Client.FullSyncRequest(ctx, mautrix.ReqSync{})
	if err != nil {
		t.Fatal(err)
	}
	joined, ok := resp.Rooms.Join[room]
	if !ok {
		return ""
	}
	for _, evt := range joined.Ephemeral.Events {
		if evt.Type != event.EphemeralEventReceipt {
			continue
		}
		_ = evt.Content.ParseRaw(evt.Type)
		rc, ok := evt.Content.Parsed.(*event.ReceiptEventContent)
		if !ok {
			continue
		}
		for evtID, receipts := range *rc {
			if _, ok := receipts[event.ReceiptTypeRead][bot]; ok {
				return evtID
			}
		}
	}
	return ""
}

// Receipts asked for while one is on its way collapse to the newest per
// room, and rooms keep the order they first asked in.
func TestReceiptsCollapsePerRoom(t *testing.T) {
	r := newReceipts(nil)
	r.mark("!a", "$1")
	r.mark("!b", "$1")
	r.mark("!a", "$2")
	var got []string
	for room, evt, ok := r.next(); ok; room, evt, ok = r.next() {
		got = append(got, string(room)+" "+string(evt))
	}
	if want := []string{"!a $2", "!b $1"}; !slices.Equal(got, want) {
		t.Errorf("receipts sent %q, want %q", got, want)
	}
	r.mark("!a", "$3")
	if room, evt, ok := r.next(); !ok || room != "!a" || evt != "$3" {
		t.Errorf("after draining, next = %s %s %v, want !a $3", room, evt, ok)
	}
}
