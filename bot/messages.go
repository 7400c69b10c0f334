package bot

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
)

// What the bot tells a room it cannot read (kindNotice rows' target).
const (
	noticeUndecryptable = "undecryptable"
	noticeNoEncryption  = "no-encryption"
	noticeFlood         = "flood"
)

// commandText is the text of a message the bot may answer, with any reply
// fallback removed, and for an edit the event it edits. ok is false for
// notices (other bots), media and anything else that is not a text line.
func commandText(evt *event.Event) (text string, edits id.EventID, ok bool) {
	msg, _ := evt.Content.Parsed.(*event.MessageEventContent)
	if msg == nil {
		return "", "", false
	}
	if msg.RelatesTo != nil && msg.RelatesTo.Type == event.RelReplace {
		if msg.NewContent == nil || msg.NewContent.MsgType != event.MsgText {
			return "", "", false
		}
		return msg.NewContent.Body, msg.RelatesTo.EventID, true
	}
	if msg.MsgType != event.MsgText {
		return "", "", false
	}
	if msg.RelatesTo.GetReplyTo() != "" {
		c := *msg
		c.RemoveReplyFallback()
		return c.Body, "", true
	}
	return msg.Body, "", true
}

// onMessage decides whether a message asks the bot for something and, if
// so, records it in the outbox; the answer itself is worked out and sent by
// the room's worker. Deciding runs the command engine on a room that
// cannot change anything, so nothing happens before the flood limit and
// the outbox have had their say.
func (b *Bot) onMessage(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID {
		return
	}
	text, edits, ok := commandText(evt)
	if !ok {
		b.settleKeyWait(ctx, evt)
		return
	}
	b.obs.message(evt.Mautrix.EventSource&event.SourceDecrypted != 0)
	log := b.log.With().Stringer("room_id", evt.RoomID).Stringer("event_id", evt.ID).Stringer("sender", evt.Sender).Logger()
	// A user over the flood limit who was warned is ignored without even
	// parsing.
	if b.flood.blocked(evt.Sender) {
		b.obs.command("", metrics.OutcomeLimited, 0)
		b.settleKeyWait(ctx, evt)
		return
	}
	direct := b.isDirect(ctx, evt.RoomID)
	reply, ok := b.engine.Handle(ctx, commands.Request{
		Text: text, Room: dryRoom{b.settings.get(evt.RoomID)}, Direct: direct, BotNames: b.botNames,
	})
	if !ok && edits == "" {
		b.settleKeyWait(ctx, evt)
		return
	}
	row := &outboxRow{EventID: evt.ID, RoomID: evt.RoomID, Kind: kindAnswer}
	if edits != "" {
		answered, err := b.hasAnswer(ctx, evt.RoomID, edits)
		if err != nil {
			log.Warn().Err(err).Msg("Could not look up the edited command")
		}
		switch {
		case answered:
			row.Kind, row.Target = kindEdit, edits.String()
		case ok:
			row.Target = edits.String() // was no command, now is: a fresh answer
		default:
			b.settleKeyWait(ctx, evt)
			return
		}
	}
	if allowed, warn := b.flood.allow(evt.Sender); !allowed {
		b.obs.command(reply.Command, metrics.OutcomeLimited, 0)
		log.Info().Msg("Flood limit reached, command ignored")
		if !warn {
			b.settleKeyWait(ctx, evt)
			return
		}
		row.Kind, row.Target = kindNotice, noticeFlood
	}
	b.record(ctx, &job{row: row, evt: evt, received: time.Now()})
}

// dryRoom is a room for deciding whether a line is a command: it has the
// room's settings and lets nothing change.
type dryRoom struct{ s commands.Settings }

func (r dryRoom) Settings() commands.Settings { return r.s }
func (dryRoom) MayChangeSettings(context.Context) (bool, int, error) {
	return false, 0, nil
}
func (dryRoom) SetSetting(context.Context, string, string) error {
	return errors.New("not while deciding")
}

// onRedaction records the redaction of a command the bot answered, so
// that the worker redacts the answer too.
func (b *Bot) onRedaction(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID {
		return
	}
	target := evt.Redacts
	if target == "" {
		if c, ok := evt.Content.Parsed.(*event.RedactionEventContent); ok {
			target = c.Redacts
		}
	}
	if target == "" {
		return
	}
	answered, err := b.hasAnswer(ctx, evt.RoomID, target)
	if err != nil || !answered {
		return
	}
	b.record(ctx, &job{row: &outboxRow{EventID: evt.ID, RoomID: evt.RoomID, Kind: kindRedact, Target: target.String()}, evt: evt, received: time.Now()})
}

// hasAnswer reports whether the command cmd has (or is about to have) an
// answer: a row in the outbox or in the sync batch being recorded.
func (b *Bot) hasAnswer(ctx context.Context, room id.RoomID, cmd id.EventID) (bool, error) {
	if rec := recorderFrom(ctx); rec != nil && rec.hasAnswer(cmd) {
		return true, nil
	}
	row, err := b.outbox.table.answerFor(ctx, cmd)
	return row != nil, err
}

// record adds j to the sync batch being dispatched, to be written before
// the batch's token; outside a batch (an event decrypted late) it is
// written at once. A full room queue drops the job.
func (b *Bot) record(ctx context.Context, j *job) {
	rec := recorderFrom(ctx)
	waiting := b.outbox.load(j.row.RoomID)
	if rec != nil {
		waiting += rec.count(j.row.RoomID)
	}
	if j.row.Kind != kindKeyWait && waiting >= b.outbox.maxPerRoom {
		b.obs.outboxDropped()
		b.log.Warn().Stringer("room_id", j.row.RoomID).Stringer("event_id", j.row.EventID).
			Int("waiting", waiting).Msg("Too much work waiting in this room; dropping a command")
		b.settleKeyWait(ctx, j.evt)
		return
	}
	j.row.Seq = b.outbox.nextSeq()
	if rec != nil && rec.add(j) {
		return
	}
	if err := b.outbox.add(ctx, []*job{j}); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Stringer("event_id", j.row.EventID).Msg("Could not record work")
	}
}

// settleKeyWait marks done the key_wait row of an event that, once
// decrypted, asks nothing of the bot.
func (b *Bot) settleKeyWait(ctx context.Context, evt *event.Event) {
	if evt == nil || evt.Mautrix.EventSource&event.SourceDecrypted == 0 || recorderFrom(ctx) != nil {
		return // decrypted in its own sync: there is no row
	}
	if err := b.outbox.table.settleKeyWait(context.WithoutCancel(ctx), evt.ID); err != nil {
		b.log.Warn().Err(err).Stringer("event_id", evt.ID).Msg("Could not settle a message that waited for its key")
	}
}

// onEncrypted runs after cryptohelper's handler for each encrypted event:
// one that neither decrypted nor failed during the dispatch is waiting for
// its room key, and is recorded so that a crash or a restart during that
// wait does not lose it.
func (b *Bot) onEncrypted(ctx context.Context, evt *event.Event) {
	if evt.Sender == b.client.UserID {
		return
	}
	rec := recorderFrom(ctx)
	if rec == nil || rec.isSettled(evt.ID) {
		return
	}
	b.record(ctx, &job{row: &outboxRow{EventID: evt.ID, RoomID: evt.RoomID, Kind: kindKeyWait}, evt: evt, received: time.Now()})
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
	ctx := b.syncer.lateContext()
	if rec := recorderFrom(ctx); rec != nil {
		rec.markSettled(evt.ID)
	}
	which := noticeUndecryptable
	if b.crypto == nil {
		which = noticeNoEncryption
	}
	if !b.undecryptable.allow(evt.RoomID) {
		if err := b.outbox.table.settleKeyWait(ctx, evt.ID); err != nil {
			log.Warn().Err(err).Msg("Could not settle an undecryptable message")
		}
		return
	}
	b.record(ctx, &job{row: &outboxRow{EventID: evt.ID, RoomID: evt.RoomID, Kind: kindNotice, Target: which}, evt: evt, received: time.Now()})
}
