package loadtest

import (
	"context"
	"sync"
	"time"
)

// guidebot answers a user at most 5 commands per 10 s by default
// (bot.rate_limit). A sender here sends at most floodPerWindow commands per
// floodWindow, by its own clock: one fewer than allowed, so that only
// delivery delays differing by more than the window could trip the limit.
const (
	floodPerWindow = 4
	floodWindow    = 10 * time.Second
)

// sender is an account that sends commands; pool spreads commands over
// senders so none trips guidebot's flood limit.
type sender struct {
	p    *peer
	sent []time.Time // times of its last floodPerWindow commands
	busy bool
}

type pool struct {
	mu      sync.Mutex
	senders []*sender
	next    int
}

func newPool(peers []*peer) *pool {
	p := &pool{}
	for _, pe := range peers {
		p.senders = append(p.senders, &sender{p: pe})
	}
	return p
}

// acquire returns a sender that may send a command now, waiting while none
// may; it returns nil once deadline passes. waited is the time spent
// waiting: a measurement limited by its senders says so.
func (p *pool) acquire(ctx context.Context, deadline time.Time) (s *sender, waited time.Duration) {
	began := time.Now()
	for {
		now := time.Now()
		p.mu.Lock()
		for i := range p.senders {
			c := p.senders[(p.next+i)%len(p.senders)]
			if c.busy || (len(c.sent) >= floodPerWindow && now.Sub(c.sent[0]) < floodWindow) {
				continue
			}
			p.next = (p.next + i + 1) % len(p.senders)
			c.busy = true
			if len(c.sent) >= floodPerWindow {
				c.sent = c.sent[1:]
			}
			c.sent = append(c.sent, now)
			p.mu.Unlock()
			return c, now.Sub(began)
		}
		p.mu.Unlock()
		if now.After(deadline) || ctx.Err() != nil {
			return nil, now.Sub(began)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *pool) release(s *sender) {
	p.mu.Lock()
	s.busy = false
	p.mu.Unlock()
}
