package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
)

// keyWaitOnResume is how long a resumed message waits for its room key.
const keyWaitOnResume = 20 * time.Second

// errUndecryptable: a message fetched again could not be decrypted.
var errUndecryptable = errors.New("could not decrypt the message")

// doJob does one outbox job, once; the outbox retries it. It returns the
// event the bot sent, if any.
func (b *Bot) doJob(ctx context.Context, j *job) (id.EventID, error) {
	switch j.row.Kind {
	case kindAnswer:
		return b.doAnswer(ctx, j)
	case kindEdit:
		return b.doEdit(ctx, j)
	case kindRedact:
		return b.doRedact(ctx, j)
	case kindNotice:
		return b.doNotice(ctx, j)
	case kindKeyWait:
		return b.doKeyWait(ctx, j)
	case kindJoin:
		return "", b.doJoin(ctx, j.row.RoomID)
	case kindReject:
		return "", b.doReject(ctx, j.row.RoomID)
	case kindLeave:
		return "", b.leaveIfAlone(ctx, j.row.RoomID)
	case kindUpgrade:
		return "", b.doUpgrade(ctx, j)
	}
	zerolog.Ctx(ctx).Warn().Msg("Unknown kind of work in the outbox; skipping it")
	return "", nil
}

// event returns the job's event, fetching (and decrypting) it after a
// restart: the outbox keeps IDs, never message text.
func (b *Bot) event(ctx context.Context, j *job) (*event.Event, error) {
	if j.evt != nil {
		return j.evt, nil
	}
	evt, err := b.client.GetEvent(ctx, j.row.RoomID, j.row.EventID)
	if err != nil {
		return nil, fmt.Errorf("fetching the event: %w", err)
	}
	evt.RoomID = j.row.RoomID
	if err := evt.Content.ParseRaw(evt.Type); err != nil && !errors.Is(err, event.ErrContentAlreadyParsed) {
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if evt.Type == event.EventEncrypted && b.crypto != nil {
		dec, err := b.crypto.Decrypt(ctx, evt)
		if errors.Is(err, cryptohelper.NoSessionFound) {
			c := evt.Content.AsEncrypted()
			if b.crypto.WaitForSession(ctx, evt.RoomID, c.SenderKey, c.SessionID, keyWaitOnResume) {
				dec, err = b.crypto.Decrypt(ctx, evt)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			j.evt = evt
			return evt, fmt.Errorf("%w: %w", errUndecryptable, err)
		}
		evt = dec
	}
	j.evt = evt
	return evt, nil
}

// errMalformed: an event whose content cannot be parsed; nothing to do.
var errMalformed = errors.New("malformed event")

// reply runs the command in evt for real, with the room's settings.
func (b *Bot) reply(ctx context.Context, evt *event.Event) (commands.Reply, bool) {
	text, _, ok := commandText(evt)
	if !ok {
		return commands.Reply{}, false
	}
	direct := b.isDirect(ctx, evt.RoomID)
	room := &matrixRoom{bot: b, id: evt.RoomID, sender: evt.Sender, direct: direct}
	return b.engine.Handle(ctx, commands.Request{Text: text, Room: room, Direct: direct, BotNames: b.botNames})
}

func (b *Bot) doAnswer(ctx context.Context, j *job) (id.EventID, error) {
	log := zerolog.Ctx(ctx)
	if j.resumed {
		// An earlier run may have sent it and died before recording that.
		found, err := b.findAnswer(ctx, j.row.RoomID, j.row.EventID)
		if err != nil {
			return "", err
		}
		if found != "" {
			log.Info().Msg("Answer of an interrupted run found in the room")
			return found, nil
		}
	}
	evt, err := b.event(ctx, j)
	if err != nil {
		return "", b.unreadable(err)
	}
	reply, ok := b.reply(ctx, evt)
	if !ok {
		return "", nil // not a command for this room any more (its prefix changed)
	}
	replyTo := evt
	if j.row.Target != "" {
		// An edit that made a line a command: answer the line itself.
		orig := *evt
		orig.ID = id.EventID(j.row.Target)
		replyTo = &orig
	}
	sent, err := b.send(ctx, outgoing{
		room:    j.row.RoomID,
		content: answerContent(replyTo, j.row.EventID, reply, b.settings.get(j.row.RoomID).Replies),
		txnID:   txnID("answer", j.row.EventID.String()),
	})
	outcome := metrics.OutcomeOK
	switch {
	case err != nil:
		outcome = metrics.OutcomeError
	case reply.Failed:
		outcome = metrics.OutcomeRefused
	}
	b.obs.command(reply.Command, outcome, time.Since(j.received))
	if err != nil {
		return "", err
	}
	log.Info().Str("command", reply.Command).Bool("failed", reply.Failed).Dur("took", time.Since(j.received)).Msg("Command answered")
	b.markRead(j.row.RoomID, j.row.EventID)
	return sent, nil
}

// doEdit edits the bot's answer to match an edited command.
func (b *Bot) doEdit(ctx context.Context, j *job) (id.EventID, error) {
	ans, err := b.outbox.table.answerFor(ctx, id.EventID(j.row.Target))
	if err != nil {
		return "", err
	}
	if ans == nil || ans.AnswerID == "" {
		return "", nil // the first answer was never sent: nothing to edit
	}
	evt, err := b.event(ctx, j)
	if err != nil {
		return "", b.unreadable(err)
	}
	reply, ok := b.reply(ctx, evt)
	if !ok {
		return "", nil // no longer a command: the old answer stays
	}
	sent, err := b.send(ctx, outgoing{
		room:    j.row.RoomID,
		content: editContent(ans.AnswerID, reply),
		txnID:   txnID("edit", j.row.EventID.String()),
	})
	if err == nil {
		zerolog.Ctx(ctx).Info().Str("command", reply.Command).Msg("Answer edited to match the edited command")
		b.markRead(j.row.RoomID, j.row.EventID)
	}
	return sent, err
}

// doRedact removes the bot's answer to a command that was redacted.
func (b *Bot) doRedact(ctx context.Context, j *job) (id.EventID, error) {
	ans, err := b.outbox.table.answerFor(ctx, id.EventID(j.row.Target))
	if err != nil {
		return "", err
	}
	if ans == nil || ans.AnswerID == "" {
		return "", nil
	}
	sent, err := b.send(ctx, outgoing{
		room:    j.row.RoomID,
		redacts: ans.AnswerID,
		txnID:   txnID("redact", j.row.EventID.String()),
	})
	if err == nil {
		zerolog.Ctx(ctx).Info().Msg("Answer redacted with its command")
	}
	return sent, err
}

// doNotice tells the room the bot could not read a message, or that a
// sender is over the flood limit.
func (b *Bot) doNotice(ctx context.Context, j *job) (id.EventID, error) {
	evt := j.evt
	if evt == nil {
		var err error
		if evt, err = b.client.GetEvent(ctx, j.row.RoomID, j.row.EventID); err != nil {
			return "", b.unreadable(err)
		}
		evt.RoomID = j.row.RoomID
	}
	lang := b.settings.get(j.row.RoomID).Language
	text := commands.NoticeUndecryptable
	switch j.row.Target {
	case noticeNoEncryption:
		text = commands.NoticeNoEncryption
	case noticeFlood:
		text = commands.NoticeSlowDown
	}
	return b.send(ctx, outgoing{
		room:    j.row.RoomID,
		content: replyNotice(evt, text.In(lang)),
		txnID:   txnID("notice", j.row.EventID.String()),
	})
}

// doKeyWait settles, after a restart, a message that was waiting for its
// room key: answered if it is a command, met with the undecryptable notice
// if its key never came.
func (b *Bot) doKeyWait(ctx context.Context, j *job) (id.EventID, error) {
	evt, err := b.event(ctx, j)
	switch {
	case errors.Is(err, errUndecryptable):
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Could not decrypt a message after a restart")
		b.obs.decryptFailed()
		if !b.undecryptable.allow(j.row.RoomID) {
			return "", nil
		}
		j.row.Target = noticeUndecryptable
		return b.doNotice(ctx, j)
	case err != nil:
		return "", b.unreadable(err)
	}
	j.evt = evt
	if _, edits, ok := commandText(evt); ok && edits != "" {
		// An edit, as onMessage sees it: of an answered command, the
		// answer is edited; of another line, the line is answered.
		j.row.Target = edits.String()
		ans, err := b.outbox.table.answerFor(ctx, edits)
		if err != nil {
			return "", err
		}
		if ans != nil {
			return b.doEdit(ctx, j)
		}
	}
	sent, err := b.doAnswer(ctx, j)
	if err == nil && sent != "" {
		// The row is now the command's answer row: an edit or a redaction
		// of the command looks for it by that kind.
		if _, err := b.outbox.table.db.Exec(ctx, resolveKeyWaitQuery, j.row.EventID, kindAnswer, j.row.Target); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("Could not record the answer of a message that waited for its key")
		}
	}
	return sent, err
}

// unreadable turns a failure to get a job's event into the outbox's terms:
// a transient error is retried, anything else (the event is gone, or
// malformed) means there is nothing to do.
func (b *Bot) unreadable(err error) error {
	if isTransient(err) {
		return err
	}
	b.log.Debug().Err(err).Msg("The event of a job cannot be read; skipping it")
	return nil
}

// markRead moves the bot's read receipt to the command it answered, as
// clients show it; see receipts.
func (b *Bot) markRead(room id.RoomID, evt id.EventID) {
	b.receipts.mark(room, evt)
}

// findAnswer looks in the room for the bot's answer to cmd, newest first,
// and returns its ID, or "".
func (b *Bot) findAnswer(ctx context.Context, room id.RoomID, cmd id.EventID) (id.EventID, error) {
	filter := &mautrix.FilterPart{Senders: []id.UserID{b.client.UserID}}
	from := ""
	for range 10 {
		resp, err := b.client.Messages(ctx, room, from, "", mautrix.DirectionBackward, filter, 100)
		if err != nil {
			return "", err
		}
		for _, e := range resp.Chunk {
			if to, _ := e.Content.Raw[answerMarker].(string); to == cmd.String() {
				return e.ID, nil
			}
			rel, _ := e.Content.Raw["m.relates_to"].(map[string]any)
			inReply, _ := rel["m.in_reply_to"].(map[string]any)
			if to, _ := inReply["event_id"].(string); to == cmd.String() {
				return e.ID, nil
			}
		}
		if resp.End == "" || resp.End == from || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	return "", nil
}
