package bot

import (
	"context"
	"errors"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
)

// registerHandlers wires the event handlers into the syncer. cryptohelper
// registered its own handler for encrypted events before (at Init), so
// onEncrypted runs after it.
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
	s.OnEventType(event.EventRedaction, b.onRedaction)
	s.OnEventType(event.StateMember, b.onMember)
	s.OnEventType(event.StateTombstone, b.onTombstone)
	if b.crypto == nil {
		// The bot cannot read encrypted rooms: say so instead of silence.
		s.OnEventType(event.EventEncrypted, func(ctx context.Context, evt *event.Event) {
			b.onUndecryptable(evt, errors.New("encryption is disabled"))
		})
	} else {
		s.OnEventType(event.EventEncrypted, b.onEncrypted)
	}
}

// gateEncrypted wraps cryptohelper's handler for encrypted events: an
// event whose room key the bot has goes straight on; one it lacks costs a
// key request and a wait of several seconds, so each sender gets only so
// many of those (keyWaitMax per keyWaitWindow) — a flood of garbage
// ciphertext then costs a lookup each.
func (b *Bot) gateEncrypted(next mautrix.EventHandler) mautrix.EventHandler {
	return func(ctx context.Context, evt *event.Event) {
		if c, ok := evt.Content.Parsed.(*event.EncryptedEventContent); ok && c.SessionID != "" && b.crypto != nil {
			sess, err := b.crypto.Machine().CryptoStore.GetGroupSession(ctx, evt.RoomID, c.SessionID)
			if err == nil && sess != nil {
				next(ctx, evt)
				return
			}
		}
		if ok, _ := b.keyWaits.allow(evt.Sender); !ok {
			b.obs.decryptFailed()
			b.log.Debug().Stringer("room_id", evt.RoomID).Stringer("event_id", evt.ID).Stringer("sender", evt.Sender).
				Msg("Too many undecryptable messages from this sender; not waiting for this one's key")
			if rec := recorderFrom(ctx); rec != nil {
				rec.markSettled(evt.ID)
			}
			return
		}
		next(ctx, evt)
	}
}
