// Package announce tells subscribed rooms what changed in the
// recommendations: each room gets, in its language and in one message, the
// change-log entries newer than the last one it was sent.
//
// # Exactly once
//
// A room's progress is two ids in the database: last_id, the newest entry it
// was sent, and pending_id, the newest entry of a send in flight. A send
// goes: (1) record pending_id; (2) send with a transaction id derived from
// (room, last_id, pending_id); (3) record last_id = pending_id. A crash
// before (1) sends nothing; a crash between (1) and (3) leaves pending_id,
// and the next run sends the same entries with the same transaction id, which
// the homeserver recognises as a retry of the same request from the same
// device and answers with the event it already sent instead of sending a
// second one. So each entry reaches each room once, as long as the retry
// comes within the homeserver's transaction-id memory (Dendrite keeps it for
// at least 30 minutes; Synapse for the access token's lifetime).
package announce

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// Pending returns the entries of set (newest first) that a room at progress
// p has not been sent, up to and including upTo ("" means up to the newest).
// Normally those are the entries before p.LastID in the log; if that entry
// has been removed from the content, the room is placed by date instead.
func Pending(set *content.Set, p Progress, upTo string) []*content.Change {
	changes := set.Changes
	if upTo != "" {
		for i, c := range changes {
			if c.ID == upTo {
				changes = changes[i:]
				break
			}
		}
	}
	for i, c := range changes {
		if c.ID == p.LastID {
			return changes[:i]
		}
	}
	if p.LastDate.IsZero() {
		// Subscribed while the log was empty: everything is new.
		return changes
	}
	n := 0
	for n < len(changes) && changes[n].Date.After(p.LastDate.Time) {
		n++
	}
	return changes[:n]
}

// Room is a subscribed room as the announcer needs it.
type Room struct {
	ID   string
	Lang content.Lang
}

// Sender sends one notice to a room. key is the same for every try of one
// announcement: the sender derives the transaction ID from it, which is
// what makes a retried send a no-op.
type Sender interface {
	SendAnnouncement(ctx context.Context, roomID, key string, reply commands.Reply) error
}

// Announcer sends the pending entries to every subscribed room.
type Announcer struct {
	Store  *Store
	Sender Sender
	// Rooms lists the rooms whose announcements setting is on.
	Rooms func(ctx context.Context) ([]Room, error)
	// Pace is the pause between two rooms, so hundreds of rooms do not trip
	// the homeserver's rate limits.
	Pace time.Duration
	Log  zerolog.Logger
	// Sent is called after each room's announcement (ok) or failure.
	Sent func(ok bool)
}

// Run sends set's pending entries to every subscribed room and returns how
// many rooms were sent an announcement and how many failed. One room's
// failure (left, banned, gone) does not stop the others; it is tried again
// on the next run.
func (a *Announcer) Run(ctx context.Context, set *content.Set) (sent, failed int, err error) {
	rooms, err := a.Rooms(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, room := range rooms {
		n, err := a.room(ctx, set, room)
		if ctx.Err() != nil {
			return sent, failed, ctx.Err()
		}
		if err != nil {
			failed++
			a.Log.Warn().Err(err).Str("room_id", room.ID).Msg("Announcement not sent; will retry on the next run")
		}
		sent += n
		if a.Sent != nil && (n > 0 || err != nil) {
			a.Sent(err == nil)
		}
		if n > 0 && a.Pace > 0 {
			select {
			case <-ctx.Done():
				return sent, failed, ctx.Err()
			case <-time.After(a.Pace):
			}
		}
	}
	return sent, failed, nil
}

// room brings one room up to date: first a send left in flight by a crash,
// with its original transaction id, then whatever is newer.
func (a *Announcer) room(ctx context.Context, set *content.Set, room Room) (sent int, err error) {
	p, ok, err := a.Store.Get(ctx, room.ID)
	if err != nil {
		return 0, err
	}
	if !ok {
		// Subscribed before progress was recorded: start now, send nothing.
		return 0, a.Store.Start(ctx, room.ID, set)
	}
	for range 2 {
		upTo := p.PendingID
		entries := Pending(set, p, upTo)
		if len(entries) == 0 {
			if upTo == "" {
				return sent, nil
			}
			// The pending entries left the content: nothing to finish.
			p.PendingID = ""
			continue
		}
		newest := entries[0]
		if upTo == "" {
			if err := a.Store.setPending(ctx, room.ID, newest.ID); err != nil {
				return sent, err
			}
		}
		reply := commands.RenderAnnouncement(set, entries, room.Lang)
		if err := a.Sender.SendAnnouncement(ctx, room.ID, sendKey(room.ID, p.LastID, newest.ID), reply); err != nil {
			return sent, err
		}
		if err := a.Store.advance(ctx, room.ID, newest); err != nil {
			return sent, err
		}
		a.Log.Info().Str("room_id", room.ID).Str("up_to", newest.ID).Int("entries", len(entries)).Msg("Sent announcement")
		sent++
		p = Progress{RoomID: room.ID, LastID: newest.ID, LastDate: newest.Date}
	}
	return sent, nil
}

// sendKey is stable for one room and one range of entries, so a retry after
// a crash is the same request to the homeserver.
func sendKey(roomID, from, to string) string {
	return roomID + "\x00" + from + "\x00" + to
}
