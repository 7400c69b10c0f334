package bot

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A flood of ciphertext the bot has no key for costs little: each sender
// gets keyWaitMax messages handed on to wait for a key per window, and the
// rest are settled at once.
func TestUndecryptableGatePerSender(t *testing.T) {
	b := &Bot{log: zerolog.Nop(), keyWaits: newFloodLimiter(keyWaitMax, keyWaitWindow)}
	waited := map[id.UserID]int{}
	gate := b.gateEncrypted(func(_ context.Context, evt *event.Event) { waited[evt.Sender]++ })
	garbage := func(sender id.UserID) *event.Event {
		return &event.Event{Sender: sender, RoomID: "!r:x", Type: event.EventEncrypted,
			Content: event.Content{Parsed: &event.EncryptedEventContent{SessionID: "no-such-session"}}}
	}
	for range 3 * keyWaitMax {
		gate(context.Background(), garbage("@flood:x"))
	}
	gate(context.Background(), garbage("@other:x"))
	if waited["@flood:x"] != keyWaitMax {
		t.Errorf("flooding sender: %d messages waited for a key, want %d", waited["@flood:x"], keyWaitMax)
	}
	if waited["@other:x"] != 1 {
		t.Errorf("another sender: %d messages waited for a key, want 1", waited["@other:x"])
	}
}
