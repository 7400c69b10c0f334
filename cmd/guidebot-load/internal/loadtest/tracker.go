package loadtest

import (
	"context"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// arrival is an event seen in some observer's sync.
type arrival struct {
	at   time.Time
	from id.UserID
	body string
	ts   int64 // origin_server_ts: when the homeserver accepted the event
}

// tracker matches arrivals to the events that wait for them: an answer by
// the event it replies to, a delivery by its own ID. An arrival may come
// before its sender has even read the /send response, so arrivals are
// kept until claimed.
type tracker struct {
	mu      sync.Mutex
	arrived map[id.EventID]arrival
	waiters map[id.EventID]chan struct{}
}

func newTracker() *tracker {
	return &tracker{arrived: map[id.EventID]arrival{}, waiters: map[id.EventID]chan struct{}{}}
}

// note records the first arrival for key.
func (t *tracker) note(key id.EventID, a arrival) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.arrived[key]; ok {
		return
	}
	t.arrived[key] = a
	if ch, ok := t.waiters[key]; ok {
		close(ch)
		delete(t.waiters, key)
	}
}

// peek returns the arrival for key, if any, without waiting.
func (t *tracker) peek(key id.EventID) (arrival, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.arrived[key]
	return a, ok
}

// wait returns the arrival for key, waiting until deadline at most.
func (t *tracker) wait(ctx context.Context, key id.EventID, deadline time.Time) (arrival, bool) {
	t.mu.Lock()
	if a, ok := t.arrived[key]; ok {
		delete(t.arrived, key)
		t.mu.Unlock()
		return a, true
	}
	ch, ok := t.waiters[key]
	if !ok {
		ch = make(chan struct{})
		t.waiters[key] = ch
	}
	t.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	case <-ctx.Done():
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.arrived[key]
	delete(t.arrived, key)
	if !ok {
		delete(t.waiters, key)
	}
	return a, ok
}

// observe makes p report answers (notices replying to something) to
// replies, the one-way messages (m.text "floor …") to deliveries and the
// commands (m.text "!…") to commands, the latter for their timestamps.
func observe(p *peer, replies, deliveries, commands *tracker) {
	p.syncer().OnEventType(event.EventMessage, func(_ context.Context, evt *event.Event) {
		now := time.Now()
		msg := evt.Content.AsMessage()
		a := arrival{at: now, from: evt.Sender, body: msg.Body, ts: evt.Timestamp}
		switch {
		case msg.MsgType == event.MsgNotice && msg.RelatesTo.GetReplyTo() != "":
			replies.note(msg.RelatesTo.GetReplyTo(), a)
		case msg.MsgType == event.MsgText && strings.HasPrefix(msg.Body, "floor "):
			deliveries.note(evt.ID, a)
		case msg.MsgType == event.MsgText && strings.HasPrefix(msg.Body, "!"):
			commands.note(evt.ID, a)
		}
	})
}
