package bottest

import (
	"context"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// History reads the room's whole timeline from the server (/messages,
// paged, up to 5,000 events), oldest first, as sent: encrypted events stay
// encrypted, but their m.relates_to is in cleartext. It is the authority
// for "exactly once" and "nothing more was sent"; see Sentinel.
func (u *User) History(room id.RoomID) []*event.Event {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	var back []*event.Event
	from := ""
	for range 50 {
		resp, err := u.Client.Messages(ctx, room, from, "", mautrix.DirectionBackward, nil, 100)
		if err != nil {
			u.T.Fatalf("reading the history of %s: %v", room, err)
		}
		back = append(back, resp.Chunk...)
		if resp.End == "" || resp.End == from || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	out := make([]*event.Event, len(back))
	for i, evt := range back {
		out[len(back)-1-i] = evt
	}
	return out
}

// RepliesTo is the event an event of the history replies to (from its
// cleartext m.relates_to), or "".
func RepliesTo(evt *event.Event) id.EventID {
	rel, _ := evt.Content.Raw["m.relates_to"].(map[string]any)
	inReply, _ := rel["m.in_reply_to"].(map[string]any)
	to, _ := inReply["event_id"].(string)
	return id.EventID(to)
}

// ReplyCounts counts, in the room's history on the server, bot's replies
// per replied-to event.
func (u *User) ReplyCounts(room id.RoomID, bot id.UserID) map[id.EventID]int {
	u.T.Helper()
	counts := map[id.EventID]int{}
	for _, evt := range u.History(room) {
		if evt.Sender != bot {
			continue
		}
		if to := RepliesTo(evt); to != "" {
			counts[to]++
		}
	}
	return counts
}

// CountAnswers counts, in the room's history on the server, bot's replies
// to eventID.
func (u *User) CountAnswers(room id.RoomID, bot id.UserID, eventID id.EventID) int {
	u.T.Helper()
	return u.ReplyCounts(room, bot)[eventID]
}

// Sentinel sends the command text into room and waits for bot's reply to
// it. guidebot handles and answers a room's messages in order, so once
// the sentinel is answered, whatever it would send about the messages
// before it has been sent: a check of the History then says "nothing more
// was sent" without sleeping and hoping. The sentinel is a command of its
// own (mind the flood limit: 5 commands per user in 10 s), and its reply
// is in the history too.
func (u *User) Sentinel(room id.RoomID, bot id.UserID, text string) id.EventID {
	u.T.Helper()
	evtID := u.Say(room, text)
	u.WaitReply(bot, evtID)
	return evtID
}
