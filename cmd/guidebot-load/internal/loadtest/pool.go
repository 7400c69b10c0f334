package loadtest

import (
	"context"
	"sync"
	"time"
)

// The bot under test runs with its per-user flood limit off
// (bot.rate_limit: 0): the throughput measured is the runtime's, not a
// policy's, and the echo client has no such limit either. Senders are
// still several accounts per room, each with its own session in encrypted
// rooms, as in a room with many people.

// sender is an account that sends commands; a pool hands its senders out
// in turn, one command at a time each.
type sender struct {
	p    *peer
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

// acquire returns the next sender not busy with a command, waiting while
// all are; it returns nil once deadline passes.
func (p *pool) acquire(ctx context.Context, deadline time.Time) *sender {
	for {
		now := time.Now()
		p.mu.Lock()
		for i := range p.senders {
			c := p.senders[(p.next+i)%len(p.senders)]
			if c.busy {
				continue
			}
			p.next = (p.next + i + 1) % len(p.senders)
			c.busy = true
			p.mu.Unlock()
			return c
		}
		p.mu.Unlock()
		if now.After(deadline) || ctx.Err() != nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *pool) release(s *sender) {
	p.mu.Lock()
	s.busy = false
	p.mu.Unlock()
}
