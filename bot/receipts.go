package bot

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"
)

// receiptPace is the least time between two receipts: at most 5 a second
// for the whole bot, so that under load receipts cost the homeserver
// little beside the answers (clients already count the bot's own answer
// as read by it).
const receiptPace = 200 * time.Millisecond

// receipts moves the bot's read receipt to the commands it answered, off
// the rooms' paths: a room's next answer does not wait for the receipt of
// the last one, and the receipts asked for in a room while others are on
// their way collapse into one, for the newest command (a receipt marks
// everything before it read). Best effort: what is pending at shutdown is
// dropped.
type receipts struct {
	mu      sync.Mutex
	pending map[id.RoomID]id.EventID
	order   []id.RoomID // rooms with a pending receipt, oldest first
	wake    chan struct{}
	send    func(ctx context.Context, room id.RoomID, evt id.EventID) error
}

func newReceipts(send func(ctx context.Context, room id.RoomID, evt id.EventID) error) *receipts {
	return &receipts{pending: map[id.RoomID]id.EventID{}, wake: make(chan struct{}, 1), send: send}
}

// mark asks for the bot's receipt in room to move to evt, which comes
// after any receipt asked for there before (the room's worker answers in
// order).
func (r *receipts) mark(room id.RoomID, evt id.EventID) {
	r.mu.Lock()
	if _, ok := r.pending[room]; !ok {
		r.order = append(r.order, room)
	}
	r.pending[room] = evt
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest pending receipt.
func (r *receipts) next() (id.RoomID, id.EventID, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		return "", "", false
	}
	room := r.order[0]
	r.order = r.order[1:]
	evt := r.pending[room]
	delete(r.pending, room)
	return room, evt, true
}

// run sends the pending receipts, one at a time and receiptPace apart,
// until ctx ends.
func (r *receipts) run(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		for room, evt, ok := r.next(); ok && ctx.Err() == nil; room, evt, ok = r.next() {
			if err := r.send(ctx, room, evt); err != nil {
				log.Debug().Err(err).Stringer("room_id", room).Msg("Could not send a read receipt")
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(receiptPace):
			}
		}
	}
}
