package bottest

import (
	"context"
	"errors"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// What users do to messages and rooms after the fact: edit, redact,
// upgrade; and how those show in a room's history on the server.

// Edit sends an m.replace edit of orig whose new content is the text line
// text, as clients send it (a "* " fallback body and m.new_content), and
// returns the edit's ID.
func (u *User) Edit(room id.RoomID, orig id.EventID, text string) id.EventID {
	u.T.Helper()
	c := TextMessage(text)
	c.SetEdit(orig)
	return u.Send(room, c)
}

// Redact redacts evt and returns the redaction's ID.
func (u *User) Redact(room id.RoomID, evt id.EventID) id.EventID {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	resp, err := u.Client.RedactEvent(ctx, room, evt)
	if err != nil {
		u.T.Fatalf("redacting %s: %v", evt, err)
	}
	return resp.EventID
}

// CreatePublicRoom creates a room anyone may join, of the given room
// version ("" for the server's default), inviting bot and others, and waits
// until the bot has joined. Members can follow such a room to its
// replacement after an upgrade without an invite.
func (u *User) CreatePublicRoom(bot id.UserID, version id.RoomVersion, others ...id.UserID) id.RoomID {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	resp, err := u.Client.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset:      "public_chat",
		Invite:      append([]id.UserID{bot}, others...),
		RoomVersion: version,
	})
	if err != nil {
		u.T.Fatal(err)
	}
	u.WaitMembership(resp.RoomID, bot, event.MembershipJoin)
	return resp.RoomID
}

// Upgrade upgrades room to version (POST /rooms/{roomId}/upgrade) and
// returns the replacement room; the server tombstones the old one.
func (u *User) Upgrade(room id.RoomID, version id.RoomVersion) id.RoomID {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	resp, err := u.Client.UpgradeRoom(ctx, room, &mautrix.ReqUpgradeRoom{NewVersion: version})
	if err != nil {
		u.T.Fatalf("upgrading %s to version %s: %v", room, version, err)
	}
	return resp.ReplacementRoom
}

// Membership is member's membership in room as the server has it now
// (its m.room.member state), "" when it has none.
func (u *User) Membership(room id.RoomID, member id.UserID) event.Membership {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	var mem event.MemberEventContent
	if err := u.Client.StateEvent(ctx, room, event.StateMember, member.String(), &mem); err != nil {
		if errors.Is(err, mautrix.MNotFound) {
			return ""
		}
		u.T.Fatalf("reading the membership of %s in %s: %v", member, room, err)
	}
	return mem.Membership
}

// Replaces is the event an event of the history edits (its cleartext
// m.relates_to of type m.replace), or "".
func Replaces(evt *event.Event) id.EventID {
	rel, _ := evt.Content.Raw["m.relates_to"].(map[string]any)
	if t, _ := rel["rel_type"].(string); t != string(event.RelReplace) {
		return ""
	}
	to, _ := rel["event_id"].(string)
	return id.EventID(to)
}

// NewContent is the plain and HTML body of an edit's m.new_content, from
// an event of the history.
func NewContent(evt *event.Event) (plain, html string) {
	nc, _ := evt.Content.Raw["m.new_content"].(map[string]any)
	plain, _ = nc["body"].(string)
	html, _ = nc["formatted_body"].(string)
	return plain, html
}

// Redacted reports whether an event of the history has been redacted: the
// server stripped its content and says what redacted it.
func Redacted(evt *event.Event) bool {
	_, hasBody := evt.Content.Raw["body"]
	return !hasBody && evt.Unsigned.RedactedBecause != nil
}

// Find returns the event evtID among evts (a History), or nil.
func Find(evts []*event.Event, evtID id.EventID) *event.Event {
	for _, evt := range evts {
		if evt.ID == evtID {
			return evt
		}
	}
	return nil
}

// SentBy returns the events of evts (a History) that sender sent.
func SentBy(evts []*event.Event, sender id.UserID) []*event.Event {
	var out []*event.Event
	for _, evt := range evts {
		if evt.Sender == sender {
			out = append(out, evt)
		}
	}
	return out
}
