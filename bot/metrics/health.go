package metrics

import (
	"sync"
	"time"
)

// Health tracks whether the sync loop is working. The bot reports every
// sync outcome; /healthz reads the verdict.
type Health struct {
	mu       sync.Mutex
	now      func() time.Time
	started  bool
	lastOK   time.Time
	lastErr  string
	failures int
	// Stale is how long without a successful sync counts as unhealthy. A
	// long poll returns at least every 30 s, so twice that is generous.
	Stale time.Duration
	// checks are further verdicts (the outbox's), asked after the sync's.
	checks []func() (bool, string)
}

// AddCheck adds a verdict to Status: healthy only when check says so too.
func (h *Health) AddCheck(check func() (ok bool, reason string)) {
	h.mu.Lock()
	h.checks = append(h.checks, check)
	h.mu.Unlock()
}

// NewHealth returns a Health that is unhealthy until the first successful sync.
func NewHealth() *Health {
	return &Health{now: time.Now, Stale: 90 * time.Second}
}

// SyncOK records a successful sync.
func (h *Health) SyncOK() {
	h.mu.Lock()
	h.started, h.lastOK, h.lastErr, h.failures = true, h.now(), "", 0
	h.mu.Unlock()
}

// SyncFailed records a failed sync with a short reason (no secrets).
func (h *Health) SyncFailed(reason string) {
	h.mu.Lock()
	h.lastErr = reason
	h.failures++
	h.mu.Unlock()
}

// Status reports whether the bot is healthy, and why not.
func (h *Health) Status() (ok bool, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.started && h.lastErr != "":
		return false, "not connected yet: " + h.lastErr
	case !h.started:
		return false, "not connected yet"
	case h.failures > 0:
		// One failed sync is enough: the loop retries with backoff, and a
		// health check should show the outage while it lasts.
		return false, "sync failing: " + h.lastErr
	case h.now().Sub(h.lastOK) > h.Stale:
		return false, "no successful sync since " + h.lastOK.UTC().Format(time.RFC3339)
	}
	for _, check := range h.checks {
		if ok, reason := check(); !ok {
			return false, reason
		}
	}
	return true, "ok"
}
