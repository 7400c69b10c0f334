package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

func (b *Bot) registerHandlers() {
	s := b.syncer
	// Without crypto, keep the state store up to date ourselves;
	// cryptohelper registers the same handler only for stores it creates.
	s.OnEvent(b.client.StateStoreSyncHandler)
	s.OnSync(b.dropOldEvents)
	s.OnSync(func(context.Context, *mautrix.RespSync, string) bool {
		b.readyOnce.Do(func() { close(b.ready) })
		return true
	})
	s.OnEventType(event.EventMessage, b.onMessage)
	s.OnEventType(event.StateMember, b.onMember)
	if b.crypto == nil {
		// The bot cannot read encrypted rooms: say so instead of silence.
		s.OnEventType(event.EventEncrypted, func(ctx context.Context, evt *event.Event) {
			b.onUndecryptable(evt, errors.New("encryption is disabled"))
		})
	}
}

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
			if done, err := b.answered.has(ctx, evt.ID.String()); err != nil || done {
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

func (b *Bot) onMessage(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID {
		return
	}
	msg := evt.Content.AsMessage()
	if msg.MsgType != event.MsgText || msg.NewContent != nil ||
		(msg.RelatesTo != nil && msg.RelatesTo.Type == event.RelReplace) {
		return // notices (other bots), media, edits
	}
	received := time.Now()
	b.obs.message(evt.Mautrix.EventSource&event.SourceDecrypted != 0)
	// A user over the flood limit is ignored without even parsing, so a
	// flood cannot change settings either.
	if b.flood.blocked(evt.Sender) {
		b.obs.command("", metrics.OutcomeLimited, 0)
		return
	}
	direct := b.isDirect(ctx, evt.RoomID)
	room := &matrixRoom{bot: b, id: evt.RoomID, sender: evt.Sender, direct: direct}
	text := msg.Body
	if msg.RelatesTo.GetReplyTo() != "" {
		msg.RemoveReplyFallback()
		text = msg.Body
	}
	reply, ok := b.engine.Handle(ctx, commands.Request{Text: text, Room: room, Direct: direct, BotNames: b.botNames})
	if !ok {
		return
	}
	log := b.log.With().Stringer("room_id", evt.RoomID).Stringer("event_id", evt.ID).
		Stringer("sender", evt.Sender).Str("command", reply.Command).Logger()
	allowed, warn := b.flood.allow(evt.Sender)
	if !allowed {
		b.obs.command(reply.Command, metrics.OutcomeLimited, 0)
		if warn {
			lang := room.Settings().Language
			plain := slowDown.In(lang)
			enqueue(ctx, evt.RoomID, b.answerJob(log, evt, plain, plain, func(error) {}))
		}
		log.Info().Msg("Flood limit reached, command ignored")
		return
	}
	log.Info().Bool("failed", reply.Failed).Dur("took", time.Since(received)).Msg("Command handled")
	enqueue(ctx, evt.RoomID, b.answerJob(log, evt, reply.Plain, reply.HTML, func(err error) {
		outcome := metrics.OutcomeOK
		switch {
		case err != nil:
			outcome = metrics.OutcomeError
		case reply.Failed:
			outcome = metrics.OutcomeRefused
		}
		b.obs.command(reply.Command, outcome, time.Since(received))
	}))
}

var slowDown = content.Text{
	EN: "Slow down, please: too many commands at once. I will answer again in a few seconds.",
	FR: "Doucement, s’il vous plaît : trop de commandes d’un coup. Je répondrai de nouveau dans quelques secondes.",
}

// answerJob sends one answer, exactly once: the event is claimed in the
// database first (sent=false), marked sent once the homeserver accepted the
// answer, and released again if the send fails for a reason worth retrying
// (the batch is then fetched again). Every try uses the same transaction ID,
// so the homeserver drops a repeat of a send it stored but whose response
// was lost. A claim still unsent after a crash is settled by looking for the
// reply in the room; only if it is not there is the answer sent again (in a
// room with replies=plain there is no reply relation to find, so there a
// crash in that window can repeat an answer rather than lose it).
// done is called with the outcome of a send that was attempted.
func (b *Bot) answerJob(log zerolog.Logger, evt *event.Event, plain, html string, done func(error)) job {
	return func(ctx context.Context) error {
		fresh, err := b.answered.claim(ctx, evt.ID.String())
		if err != nil {
			return err
		}
		if !fresh {
			sent, err := b.answered.isSent(ctx, evt.ID.String())
			if err != nil {
				return err
			}
			if sent {
				log.Debug().Msg("Already answered")
				return nil
			}
			// claimed but never confirmed: a crash cut the send
			found, err := b.findAnswer(ctx, evt)
			if err != nil {
				return err
			}
			if found {
				log.Info().Msg("Answer of an interrupted send found in the room")
				return b.answered.markSent(ctx, evt.ID.String())
			}
			log.Info().Msg("Answering again after an interrupted send")
		}
		err = b.sendAnswer(ctx, evt, plain, html)
		done(err)
		if err == nil {
			return b.answered.markSent(context.WithoutCancel(ctx), evt.ID.String())
		}
		if !isTransient(err) {
			log.Error().Err(err).Msg("Could not send answer")
			return nil
		}
		// The send may have failed because ctx was cancelled at shutdown;
		// the release must still happen.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if uerr := b.answered.unclaim(uctx, evt.ID.String()); uerr != nil {
			log.Error().Err(uerr).Msg("Could not release claim")
		}
		return err
	}
}

// sendAnswer sends an m.notice answering evt, with the relation the room's
// replies setting asks for.
func (b *Bot) sendAnswer(ctx context.Context, evt *event.Event, plain, html string) error {
	c := &event.MessageEventContent{MsgType: event.MsgNotice, Body: plain}
	if html != "" {
		c.Format = event.FormatHTML
		c.FormattedBody = html
	}
	msg, _ := evt.Content.Parsed.(*event.MessageEventContent)
	inThread := msg != nil && msg.RelatesTo.GetThreadParent() != ""
	switch b.settings.get(evt.RoomID).Replies {
	case "plain":
		c.Mentions = &event.Mentions{}
	case "reply":
		c.SetReply(evt)
	default: // thread
		if inThread {
			c.SetThread(evt)
		}
		c.SetReply(evt)
	}
	_, err := b.client.SendMessageEvent(ctx, evt.RoomID, event.EventMessage, c,
		mautrix.ReqSendEvent{TransactionID: answerTxnID(evt.ID)})
	return err
}

// answerTxnID is the transaction ID of the answer to evt: the same on every
// try, so that the homeserver drops a send it already stored.
func answerTxnID(evt id.EventID) string {
	sum := sha256.Sum256([]byte(evt))
	return "guidebot_" + hex.EncodeToString(sum[:16])
}

// findAnswer looks in the room for the bot's reply to evt, newest first,
// back to evt's own time.
func (b *Bot) findAnswer(ctx context.Context, evt *event.Event) (bool, error) {
	filter := &mautrix.FilterPart{Senders: []id.UserID{b.client.UserID}}
	from := ""
	for range 10 {
		resp, err := b.client.Messages(ctx, evt.RoomID, from, "", mautrix.DirectionBackward, filter, 100)
		if err != nil {
			return false, err
		}
		for _, e := range resp.Chunk {
			if e.Timestamp < evt.Timestamp {
				return false, nil
			}
			rel, _ := e.Content.Raw["m.relates_to"].(map[string]any)
			inReply, _ := rel["m.in_reply_to"].(map[string]any)
			if to, _ := inReply["event_id"].(string); to == evt.ID.String() {
				return true, nil
			}
		}
		if resp.End == "" || resp.End == from || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	return false, nil
}

// isTransient reports whether err is worth retrying later: the homeserver
// was unreachable, overloaded or rate limiting, or shutdown cut the request.
// Anything else (forbidden, unknown room, an encryption bug) is permanent:
// retrying it would only loop.
func isTransient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mautrix.MLimitExceeded) {
		return true
	}
	var httpErr mautrix.HTTPError
	if errors.As(err, &httpErr) {
		if httpErr.Response == nil {
			return true // no answer at all
		}
		return httpErr.Response.StatusCode >= 500 || httpErr.Response.StatusCode == http.StatusTooManyRequests
	}
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr)
}

// onUndecryptable tells a room, at most once per undecryptableEvery, that
// the bot could not read a message there.
func (b *Bot) onUndecryptable(evt *event.Event, err error) {
	if evt.Sender == b.client.UserID {
		return
	}
	log := b.log.With().Stringer("room_id", evt.RoomID).Stringer("event_id", evt.ID).Logger()
	log.Warn().Err(err).Msg("Could not decrypt a message")
	b.obs.decryptFailed()
	if !b.undecryptable.allow(evt.RoomID) {
		return
	}
	lang := b.settings.get(evt.RoomID).Language
	plain := cannotRead.In(lang)
	if b.crypto == nil {
		plain = noEncryption.In(lang)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c := &event.MessageEventContent{MsgType: event.MsgNotice, Body: plain}
		c.SetReply(evt)
		if _, err := b.client.SendMessageEvent(ctx, evt.RoomID, event.EventMessage, c); err != nil {
			log.Warn().Err(err).Msg("Could not send the undecryptable notice")
		}
	}()
}

var (
	cannotRead = content.Text{
		EN: "I could not decrypt a message in this room, so I could not answer it. Sending it again usually works; if not, verify or re-share your keys.",
		FR: "Je n’ai pas pu déchiffrer un message dans ce salon, je n’ai donc pas pu y répondre. Le renvoyer suffit en général ; sinon, vérifiez ou repartagez vos clés.",
	}
	noEncryption = content.Text{
		EN: "I cannot read encrypted messages: encryption is turned off for this bot.",
		FR: "Je ne peux pas lire les messages chiffrés : le chiffrement est désactivé pour ce bot.",
	}
)

func (b *Bot) onMember(ctx context.Context, evt *event.Event) {
	mem := evt.Content.AsMember()
	self := evt.GetStateKey() == b.client.UserID.String()
	switch {
	case self && mem.Membership == event.MembershipInvite && evt.Mautrix.EventSource&event.SourceInvite != 0:
		b.onInvite(ctx, evt, mem)
	case self && (mem.Membership == event.MembershipLeave || mem.Membership == event.MembershipBan) &&
		evt.Mautrix.EventSource&event.SourceLeave != 0:
		b.members.forget(evt.RoomID)
	case !self && evt.Mautrix.EventSource&event.SourceJoin != 0:
		b.members.forget(evt.RoomID)
		if evt.Mautrix.EventSource&event.SourceTimeline != 0 &&
			(mem.Membership == event.MembershipLeave || mem.Membership == event.MembershipBan) {
			enqueue(ctx, evt.RoomID, b.leaveIfAlone(evt.RoomID))
		}
	}
}

// onInvite joins when rooms.auto_join is on and the inviter is allowed,
// and rejects the invite otherwise.
func (b *Bot) onInvite(ctx context.Context, evt *event.Event, mem *event.MemberEventContent) {
	log := b.log.With().Stringer("room_id", evt.RoomID).Stringer("inviter", evt.Sender).Logger()
	if !b.cfg.Rooms.AutoJoin || !inviterAllowed(b.cfg.Rooms.AllowedInviters, evt.Sender) {
		log.Info().Msg("Rejecting invite")
		enqueue(ctx, evt.RoomID, func(ctx context.Context) error {
			_, err := b.client.LeaveRoom(ctx, evt.RoomID, &mautrix.ReqLeave{Reason: "not allowed to invite this bot"})
			if err != nil && isTransient(err) {
				return err
			}
			if err != nil {
				log.Warn().Err(err).Msg("Could not reject invite")
			}
			return nil
		})
		return
	}
	isDirect := mem.IsDirect
	enqueue(ctx, evt.RoomID, func(ctx context.Context) error {
		if _, err := b.client.JoinRoomByID(ctx, evt.RoomID); err != nil {
			if isTransient(err) {
				return err
			}
			log.Warn().Err(err).Msg("Could not join")
			return nil
		}
		// Load the member list now: the state store needs it to share room
		// keys with everyone in an encrypted room.
		if _, err := b.client.Members(ctx, evt.RoomID); err != nil {
			log.Warn().Err(err).Msg("Could not load members")
		}
		b.members.forget(evt.RoomID)
		if isDirect {
			if err := b.settings.set(ctx, evt.RoomID, settingDirect, "true"); err != nil {
				log.Warn().Err(err).Msg("Could not mark room as direct")
			}
		}
		b.obs.joinedRoomsAdd(1)
		log.Info().Bool("direct", isDirect).Msg("Joined room")
		return nil
	})
}

// leaveIfAlone leaves (and forgets) a room once the bot is its only member.
func (b *Bot) leaveIfAlone(room id.RoomID) job {
	return func(ctx context.Context) error {
		n, err := b.members.count(ctx, b, room)
		if err != nil || n > 1 {
			return nil
		}
		log := b.log.With().Stringer("room_id", room).Logger()
		if _, err := b.client.LeaveRoom(ctx, room); err != nil {
			if isTransient(err) {
				return err
			}
			log.Warn().Err(err).Msg("Could not leave empty room")
			return nil
		}
		if err := b.settings.forget(ctx, room); err != nil {
			log.Warn().Err(err).Msg("Could not forget settings")
		}
		b.obs.joinedRoomsAdd(-1)
		log.Info().Msg("Left room: no one else is in it")
		return nil
	}
}

// isDirect: a room the invite marked is_direct, or one with exactly two
// members.
func (b *Bot) isDirect(ctx context.Context, room id.RoomID) bool {
	if b.settings.raw(room, settingDirect) == "true" {
		return true
	}
	n, err := b.members.count(ctx, b, room)
	return err == nil && n == 2
}

// memberCache counts joined and invited members per room, so the
// per-message DM check does not query the state store every time. A
// member event in the room drops the count.
type memberCache struct {
	mu     sync.Mutex
	counts map[id.RoomID]int
}

func (c *memberCache) count(ctx context.Context, b *Bot, room id.RoomID) (int, error) {
	c.mu.Lock()
	n, ok := c.counts[room]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	members, err := b.client.StateStore.GetRoomJoinedOrInvitedMembers(ctx, room)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.counts[room] = len(members)
	c.mu.Unlock()
	return len(members), nil
}

func (c *memberCache) forget(room id.RoomID) {
	c.mu.Lock()
	delete(c.counts, room)
	c.mu.Unlock()
}
