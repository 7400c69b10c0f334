package bot

import (
	"time"

	"github.com/guidebot/guidebot/bot/metrics"
)

// observer forwards to the optional metrics and health tracker; every
// method is a no-op for what is not wired, so the handlers need no checks.
type observer struct {
	m *metrics.Metrics
	h *metrics.Health
}

func (o observer) syncOK() {
	if o.h != nil {
		o.h.SyncOK()
	}
}

func (o observer) syncFailed(reason string) {
	if o.h != nil {
		o.h.SyncFailed(reason)
	}
	if o.m != nil {
		o.m.SyncErrors.Inc()
	}
}

func (o observer) message(encrypted bool) {
	if o.m != nil {
		o.m.ObserveMessage(encrypted)
	}
}

func (o observer) command(name, outcome string, took time.Duration) {
	if o.m != nil {
		o.m.ObserveCommand(name, outcome, took)
	}
}

func (o observer) decryptFailed() {
	if o.m != nil {
		o.m.DecryptFailures.Inc()
	}
}

func (o observer) joinedRooms(n int) {
	if o.m != nil {
		o.m.JoinedRooms.Set(float64(n))
	}
}

func (o observer) joinedRoomsAdd(d int) {
	if o.m != nil {
		o.m.JoinedRooms.Add(float64(d))
	}
}

func (o observer) announcement(ok bool) {
	if o.m != nil {
		outcome := "sent"
		if !ok {
			outcome = "failed"
		}
		o.m.Announcements.WithLabelValues(outcome).Inc()
	}
}

func (o observer) healthCheck(check func() (bool, string)) {
	if o.h != nil {
		o.h.AddCheck(check)
	}
}

func (o observer) outboxQueued(d int) {
	if o.m != nil {
		o.m.OutboxQueued.Add(float64(d))
	}
}

func (o observer) outboxDropped() {
	if o.m != nil {
		o.m.OutboxDropped.Inc()
	}
}

func (o observer) outboxFailed(kind string) {
	if o.m != nil {
		o.m.OutboxFailed.WithLabelValues(kind).Inc()
	}
}
