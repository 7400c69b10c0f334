package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// onMember records the membership work a member event asks for: joining
// or refusing an invite, leaving a room where the bot is left alone.
func (b *Bot) onMember(ctx context.Context, evt *event.Event) {
	mem := evt.Content.AsMember()
	self := evt.GetStateKey() == b.client.UserID.String()
	switch {
	case self && mem.Membership == event.MembershipInvite && evt.Mautrix.EventSource&event.SourceInvite != 0:
		b.onInvite(ctx, evt)
	case self && (mem.Membership == event.MembershipLeave || mem.Membership == event.MembershipBan) &&
		evt.Mautrix.EventSource&event.SourceLeave != 0:
		b.members.forget(evt.RoomID)
	case !self && evt.Mautrix.EventSource&event.SourceJoin != 0:
		b.members.forget(evt.RoomID)
		if evt.Mautrix.EventSource&event.SourceTimeline != 0 && evt.ID != "" &&
			(mem.Membership == event.MembershipLeave || mem.Membership == event.MembershipBan) {
			b.record(ctx, &job{row: &outboxRow{EventID: evt.ID, RoomID: evt.RoomID, Kind: kindLeave}, evt: evt, received: time.Now()})
		}
	}
}

// onInvite records a join when rooms.auto_join is on and the inviter is
// allowed, and a refusal otherwise. Invites come as stripped state, with no
// event ID: the row is keyed by the room and the sync that brought it, so
// that the same response fetched again is not handled twice.
func (b *Bot) onInvite(ctx context.Context, evt *event.Event) {
	kind := kindJoin
	if !b.cfg.Rooms.AutoJoin || !b.cfg.Rooms.InviterAllowed(evt.Sender.String()) {
		kind = kindReject
	}
	since, _ := ctx.Value(mautrix.SyncTokenContextKey).(string)
	key := id.EventID(fmt.Sprintf("invite|%s|%s|%s", evt.RoomID, evt.Sender, since))
	b.log.Info().Stringer("room_id", evt.RoomID).Stringer("inviter", evt.Sender).Str("action", string(kind)).Msg("Invited")
	b.record(ctx, &job{row: &outboxRow{EventID: key, RoomID: evt.RoomID, Kind: kind}, received: time.Now()})
}

func (b *Bot) doReject(ctx context.Context, room id.RoomID) error {
	_, err := b.client.LeaveRoom(ctx, room, &mautrix.ReqLeave{Reason: "not allowed to invite this bot"})
	if err != nil && !isTransient(err) {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Could not reject invite")
		return nil
	}
	return err
}

func (b *Bot) doJoin(ctx context.Context, room id.RoomID) error {
	joined, err := b.join(ctx, room)
	if err != nil || !joined {
		return err
	}
	return b.followPredecessor(ctx, room)
}

// followPredecessor carries settings over when the room just joined
// replaces one the bot is in. In a private room the bot cannot join the
// replacement on seeing the tombstone; it follows once someone invites it
// there. The old room's tombstone must name this room, so that a room
// merely claiming a predecessor cannot make the bot leave it.
func (b *Bot) followPredecessor(ctx context.Context, room id.RoomID) error {
	var create event.CreateEventContent
	if err := b.client.StateEvent(ctx, room, event.StateCreate, "", &create); err != nil {
		return transientOnly(err)
	}
	old := create.GetPredecessor().RoomID
	if old == "" || old == room {
		return nil
	}
	var tomb event.TombstoneEventContent
	if err := b.client.StateEvent(ctx, old, event.StateTombstone, "", &tomb); err != nil {
		return transientOnly(err) // not tombstoned, or not a room the bot is in
	}
	if tomb.ReplacementRoom != room {
		return nil
	}
	// Followed already, on the tombstone: the settings moved then.
	var self event.MemberEventContent
	if err := b.client.StateEvent(ctx, old, event.StateMember, b.client.UserID.String(), &self); err != nil {
		return transientOnly(err)
	}
	if self.Membership != event.MembershipJoin {
		return nil
	}
	return b.carryOver(ctx, old, room)
}

// transientOnly keeps an error worth retrying and drops one that will not
// change: a missing state event or a room the bot cannot read.
func transientOnly(err error) error {
	if isTransient(err) {
		return err
	}
	return nil
}

// join joins room; joined is false when the homeserver refused for good.
func (b *Bot) join(ctx context.Context, room id.RoomID, via ...string) (joined bool, err error) {
	log := zerolog.Ctx(ctx)
	if _, err := b.client.JoinRoom(ctx, room.String(), &mautrix.ReqJoinRoom{Via: via}); err != nil {
		if isTransient(err) {
			return false, err
		}
		log.Warn().Err(err).Msg("Could not join")
		return false, nil
	}
	// Load the member list now: the state store needs it to share room
	// keys with everyone in an encrypted room.
	if _, err := b.client.Members(ctx, room); err != nil {
		log.Warn().Err(err).Msg("Could not load members")
	}
	b.members.forget(room)
	b.obs.joinedRoomsAdd(1)
	log.Info().Stringer("joined", room).Msg("Joined room")
	return true, nil
}

// leaveIfAlone leaves (and forgets) a room once the bot is its only member.
func (b *Bot) leaveIfAlone(ctx context.Context, room id.RoomID) error {
	n, err := b.members.count(ctx, b, room)
	if err != nil || n > 1 {
		return nil
	}
	return b.leave(ctx, room, "Left room: no one else is in it")
}

// leave leaves a room and forgets its settings.
func (b *Bot) leave(ctx context.Context, room id.RoomID, why string) error {
	log := zerolog.Ctx(ctx)
	if _, err := b.client.LeaveRoom(ctx, room); err != nil {
		if isTransient(err) {
			return err
		}
		log.Warn().Err(err).Msg("Could not leave room")
		return nil
	}
	if err := b.settings.forget(ctx, room); err != nil {
		log.Warn().Err(err).Msg("Could not forget settings")
	}
	b.obs.joinedRoomsAdd(-1)
	log.Info().Msg(why)
	return nil
}

// onTombstone records the move to a room's replacement.
func (b *Bot) onTombstone(ctx context.Context, evt *event.Event) {
	if evt.Mautrix.EventSource&event.SourceTimeline == 0 || evt.ID == "" {
		return
	}
	c, ok := evt.Content.Parsed.(*event.TombstoneEventContent)
	if !ok || c.ReplacementRoom == "" || c.ReplacementRoom == evt.RoomID {
		return
	}
	b.record(ctx, &job{row: &outboxRow{EventID: evt.ID, RoomID: evt.RoomID, Kind: kindUpgrade, Target: c.ReplacementRoom.String()}, evt: evt, received: time.Now()})
}

// doUpgrade follows an upgraded room to its replacement, if whoever
// upgraded it may invite the bot: it joins the new room, carries the
// settings and the announcement subscription over, and leaves the old one.
func (b *Bot) doUpgrade(ctx context.Context, j *job) error {
	log := zerolog.Ctx(ctx)
	evt, err := b.event(ctx, j)
	if err != nil {
		return b.unreadable(err)
	}
	if !b.cfg.Rooms.AutoJoin || !b.cfg.Rooms.InviterAllowed(evt.Sender.String()) {
		log.Info().Stringer("upgraded_by", evt.Sender).Msg("Room upgraded by someone not allowed to invite the bot; not following")
		return nil
	}
	newRoom := id.RoomID(j.row.Target)
	joined, err := b.join(ctx, newRoom, evt.Sender.Homeserver())
	if err != nil || !joined {
		// Not joined for good (a private replacement): stay in the old
		// room; an invite to the new one follows it then.
		return err
	}
	return b.carryOver(ctx, j.row.RoomID, newRoom)
}

// carryOver moves the settings and the announcement subscription of an
// upgraded room to its replacement, which the bot has joined, and leaves
// the old room.
func (b *Bot) carryOver(ctx context.Context, old, newRoom id.RoomID) error {
	if err := b.settings.copy(ctx, old, newRoom); err != nil {
		return err
	}
	if b.announcer != nil {
		if err := b.announcer.Store.Copy(ctx, old.String(), newRoom.String()); err != nil {
			return err
		}
	}
	zerolog.Ctx(ctx).Info().Stringer("old_room", old).Stringer("new_room", newRoom).Msg("Followed the room to its replacement")
	return b.leave(ctx, old, "Left the upgraded room")
}

// isDirect reports whether a room is a direct chat: exactly two members,
// joined or invited. The inviter's is_direct flag is not trusted: anyone
// could set it on a room of any size.
func (b *Bot) isDirect(ctx context.Context, room id.RoomID) bool {
	n, err := b.members.count(ctx, b, room)
	return err == nil && n == 2
}

// memberCache counts joined and invited members per room, so the
// per-message DM check does not query the state store every time. A
// member event in the room drops the count.
type memberCache struct {
	mu     sync.Mutex
	counts map[id.RoomID]int
	// forgets counts the forget calls: a count read from the store while
	// one ran (a room worker racing the sync) may predate the member event
	// and is not kept.
	forgets uint64
}

func (c *memberCache) count(ctx context.Context, b *Bot, room id.RoomID) (int, error) {
	c.mu.Lock()
	n, ok := c.counts[room]
	forgets := c.forgets
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	members, err := b.client.StateStore.GetRoomJoinedOrInvitedMembers(ctx, room)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.forgets == forgets {
		c.counts[room] = len(members)
	}
	c.mu.Unlock()
	return len(members), nil
}

func (c *memberCache) forget(room id.RoomID) {
	c.mu.Lock()
	delete(c.counts, room)
	c.forgets++
	c.mu.Unlock()
}
