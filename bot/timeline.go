package bot

import (
	"context"
	"slices"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// dropOldEvents removes the timeline messages the bot must not answer: all
// of them in the very first sync (since == ""), and in a room it has just
// joined, those sent before its join. mautrix's DontProcessOldEvents drops
// the whole room instead, state included, which leaves the state store
// without the room's members (encrypted replies then go unreadable) and
// loses a command sent right after the join; this keeps state events and
// messages after the join.
func (b *Bot) dropOldEvents(ctx context.Context, resp *mautrix.RespSync, since string) bool {
	for roomID, room := range resp.Rooms.Join {
		evts := room.Timeline.Events
		cut := -1
		if since == "" {
			cut = len(evts)
		} else {
			for i := len(evts) - 1; i >= 0; i-- {
				if isOwnJoin(evts[i], b.client.UserID) {
					cut = i
					break
				}
			}
		}
		if cut < 0 {
			if room.Timeline.Limited && room.Timeline.PrevBatch != "" {
				b.fillGap(ctx, roomID, room, since)
			}
			continue
		}
		kept := evts[:0:0]
		for i, evt := range evts {
			if i >= cut || evt.StateKey != nil {
				kept = append(kept, evt)
			}
		}
		room.Timeline.Events = kept
	}
	return true
}

// maxGap bounds how many missed messages per room are fetched after a
// limited sync (the bot was down while a room was busy).
const maxGap = 1000

// syncTimelineLimit is the sync filter's timeline limit; a var so tests can
// make gaps happen with few messages.
var syncTimelineLimit = 100

// fillGap fetches the messages a limited timeline left out, between the
// previous sync token and the timeline's start, and puts them before the
// timeline, so that a command sent while the bot was down is not lost in a
// busy room. Only messages: the sync's state section already covers state.
func (b *Bot) fillGap(ctx context.Context, roomID id.RoomID, room *mautrix.SyncJoinedRoom, since string) {
	log := b.log.With().Stringer("room_id", roomID).Logger()
	var missed []*event.Event // newest first while paging backwards
	from := room.Timeline.PrevBatch
	for len(missed) < maxGap {
		resp, err := b.client.Messages(ctx, roomID, from, since, mautrix.DirectionBackward, nil, 100)
		if err != nil {
			log.Warn().Err(err).Msg("Could not fetch missed messages")
			break
		}
		reachedJoin := false
		for _, evt := range resp.Chunk {
			if isOwnJoin(evt, b.client.UserID) {
				reachedJoin = true // older events are from before the bot joined
				break
			}
			if evt.StateKey != nil || evt.Sender == b.client.UserID {
				continue
			}
			// Dendrite does not stop exactly at the "to" token: skip what
			// was answered already rather than count it against the
			// sender's flood limit again.
			if done, err := b.outbox.table.has(ctx, evt.ID); err != nil || done {
				continue
			}
			missed = append(missed, evt)
		}
		if reachedJoin || resp.End == "" || resp.End == from || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	if len(missed) == 0 {
		return
	}
	slices.Reverse(missed)
	log.Info().Int("count", len(missed)).Msg("Fetched messages missed in a limited sync")
	room.Timeline.Events = append(missed, room.Timeline.Events...)
}

// isOwnJoin reports whether evt is the bot joining (not a profile change,
// which is also a join membership event).
func isOwnJoin(evt *event.Event, self id.UserID) bool {
	if evt.Type != event.StateMember || evt.GetStateKey() != self.String() {
		return false
	}
	if m, _ := evt.Content.Raw["membership"].(string); m != string(event.MembershipJoin) {
		return false
	}
	if evt.Unsigned.PrevContent != nil {
		if prev, _ := evt.Unsigned.PrevContent.Raw["membership"].(string); prev == string(event.MembershipJoin) {
			return false
		}
	}
	return true
}
