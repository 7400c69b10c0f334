// Package metrics holds guidebot's Prometheus metrics and the small HTTP
// server that exposes them beside a health check. It has no Matrix types so
// that it can be tested, and scraped, on its own.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Command outcomes, the values of the "outcome" label.
const (
	OutcomeOK      = "ok"      // answered
	OutcomeRefused = "refused" // answered with a refusal (unknown name, bad arguments, not allowed)
	OutcomeError   = "error"   // the answer could not be sent
	OutcomeLimited = "limited" // dropped by the per-user flood limit
)

// Metrics are the bot's counters and gauges, registered on their own
// registry so tests can create as many as they like.
type Metrics struct {
	Registry *prometheus.Registry

	Commands        *prometheus.CounterVec   // by command and outcome
	CommandLatency  *prometheus.HistogramVec // by command: event received → answer sent
	SyncErrors      prometheus.Counter
	JoinedRooms     prometheus.Gauge
	Messages        *prometheus.CounterVec // by encrypted=true|false
	DecryptFailures prometheus.Counter
	Announcements   *prometheus.CounterVec // by outcome=sent|failed
	OutboxQueued    prometheus.Gauge       // jobs waiting in the rooms' queues
	OutboxDropped   prometheus.Counter     // commands dropped: their room's queue was full
	OutboxFailed    *prometheus.CounterVec // jobs given up on, by kind
}

// New creates and registers the metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guidebot_commands_total",
			Help: "Commands handled, by command name and outcome.",
		}, []string{"command", "outcome"}),
		CommandLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "guidebot_command_duration_seconds",
			Help: "Time from receiving a command to its answer being accepted by the homeserver.",
			// From 1 ms to about 4 s: the homeserver round trip dominates.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 13),
		}, []string{"command"}),
		SyncErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "guidebot_sync_errors_total",
			Help: "Failed /sync requests.",
		}),
		JoinedRooms: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "guidebot_joined_rooms",
			Help: "Rooms the bot is joined to.",
		}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guidebot_messages_total",
			Help: "Messages received from other users, by whether they were encrypted.",
		}, []string{"encrypted"}),
		DecryptFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "guidebot_decrypt_failures_total",
			Help: "Encrypted messages the bot could not decrypt.",
		}),
		Announcements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guidebot_announcements_total",
			Help: "Update announcements, by outcome (sent or failed).",
		}, []string{"outcome"}),
		OutboxQueued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "guidebot_outbox_queued",
			Help: "Jobs (answers, edits, notices, joins...) waiting in the rooms' queues.",
		}),
		OutboxDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "guidebot_outbox_dropped_total",
			Help: "Commands dropped because their room already had too many waiting.",
		}),
		OutboxFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guidebot_outbox_failed_total",
			Help: "Jobs given up on after a permanent error or their retry budget, by kind.",
		}, []string{"kind"}),
	}
	m.Registry.MustRegister(m.Commands, m.CommandLatency, m.SyncErrors, m.JoinedRooms,
		m.Messages, m.DecryptFailures, m.Announcements, m.OutboxQueued, m.OutboxDropped, m.OutboxFailed)
	return m
}

// ObserveCommand records one handled command.
func (m *Metrics) ObserveCommand(command, outcome string, took time.Duration) {
	if command == "" {
		command = "none"
	}
	m.Commands.WithLabelValues(command, outcome).Inc()
	if outcome != OutcomeLimited {
		m.CommandLatency.WithLabelValues(command).Observe(took.Seconds())
	}
}

// ObserveMessage records one message from another user.
func (m *Metrics) ObserveMessage(encrypted bool) {
	if encrypted {
		m.Messages.WithLabelValues("true").Inc()
	} else {
		m.Messages.WithLabelValues("false").Inc()
	}
}
