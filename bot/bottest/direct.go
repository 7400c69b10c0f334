package bottest

import (
	"context"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// CreateGroup creates a private room (no bot) inviting others, has each of
// them join, and waits until this user sees them all joined.
func (u *User) CreateGroup(others ...*User) id.RoomID {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	req := &mautrix.ReqCreateRoom{Preset: "private_chat"}
	for _, o := range others {
		req.Invite = append(req.Invite, o.ID())
	}
	resp, err := u.Client.CreateRoom(ctx, req)
	if err != nil {
		u.T.Fatal(err)
	}
	for _, o := range others {
		o.Join(resp.RoomID)
	}
	for _, o := range others {
		u.WaitMembership(resp.RoomID, o.ID(), event.MembershipJoin)
	}
	return resp.RoomID
}

// InviteDirect invites invitee into room with is_direct set on the invite,
// whatever the room's size: what any client may claim. Dendrite's /invite
// drops is_direct, so the invite is sent as the member state event itself,
// which the homeserver handles as an invite all the same.
func (u *User) InviteDirect(room id.RoomID, invitee id.UserID) {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	c := &event.MemberEventContent{Membership: event.MembershipInvite, IsDirect: true}
	if _, err := u.Client.SendStateEvent(ctx, room, event.StateMember, invitee.String(), c); err != nil {
		u.T.Fatalf("%s inviting %s with is_direct: %v", u.ID(), invitee, err)
	}
}

// InvitedDirect reports whether the room's history on the server has an
// invite of invitee flagged is_direct: a check that the flag really went
// out before a test relies on the bot having seen it.
func (u *User) InvitedDirect(room id.RoomID, invitee id.UserID) bool {
	u.T.Helper()
	for _, evt := range u.History(room) {
		if evt.Type != event.StateMember || evt.GetStateKey() != invitee.String() {
			continue
		}
		if m, _ := evt.Content.Raw["membership"].(string); m != string(event.MembershipInvite) {
			continue
		}
		if d, _ := evt.Content.Raw["is_direct"].(bool); d {
			return true
		}
	}
	return false
}

// SentAfter returns the messages (plain or encrypted) sender sent into
// room after the event after, from the room's history on the server: with
// a Sentinel last, "nothing but the sentinel's answer was sent".
func (u *User) SentAfter(room id.RoomID, sender id.UserID, after id.EventID) []*event.Event {
	u.T.Helper()
	var out []*event.Event
	seen := false
	for _, evt := range u.History(room) {
		switch {
		case evt.ID == after:
			seen = true
		case seen && evt.Sender == sender && (evt.Type == event.EventMessage || evt.Type == event.EventEncrypted):
			out = append(out, evt)
		}
	}
	if !seen {
		u.T.Fatalf("%s is not in the history of %s", after, room)
	}
	return out
}
