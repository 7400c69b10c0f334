package announce

import (
	"context"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		expr, tz string
		from     string // RFC 3339
		want     string
	}{
		{"0 9 * * *", "UTC", "2026-11-25T08:00:00Z", "2026-11-25T09:00:00Z"},
		{"0 9 * * *", "UTC", "2026-11-25T09:00:00Z", "2026-11-26T09:00:00Z"},
		// 9:00 in Paris is 8:00 UTC in winter and 7:00 UTC in summer.
		{"0 9 * * *", "Europe/Paris", "2026-11-25T10:00:00Z", "2026-11-26T08:00:00Z"},
		{"0 9 * * *", "Europe/Paris", "2026-07-01T00:00:00Z", "2026-07-01T07:00:00Z"},
		{"30 18 * * 1", "America/New_York", "2026-11-25T00:00:00Z", "2026-11-30T23:30:00Z"},
	}
	for _, tt := range tests {
		sched, err := ParseSchedule(tt.expr, tt.tz)
		if err != nil {
			t.Fatalf("ParseSchedule(%q, %q): %v", tt.expr, tt.tz, err)
		}
		from, _ := time.Parse(time.RFC3339, tt.from)
		if got := sched.Next(from).UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("%q in %s after %s: next = %s, want %s", tt.expr, tt.tz, tt.from, got, tt.want)
		}
	}
	for _, bad := range [][2]string{{"0 9 * *", "UTC"}, {"61 9 * * *", "UTC"}, {"0 9 * * *", "Mars/Olympus"}} {
		if _, err := ParseSchedule(bad[0], bad[1]); err == nil {
			t.Errorf("ParseSchedule(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// fakeClock fires a timer when the test advances time past it.
type fakeClock struct {
	now   time.Time
	timer chan time.Time
	asked chan time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.asked <- d
	return c.timer
}

func TestEvery(t *testing.T) {
	sched, err := ParseSchedule("0 9 * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	start, _ := time.Parse(time.RFC3339, "2026-11-25T08:59:00Z")
	clock := &fakeClock{now: start, timer: make(chan time.Time), asked: make(chan time.Duration)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	poke := make(chan struct{})
	calls := make(chan struct{})
	done := make(chan struct{})
	go func() {
		Every(ctx, sched, clock, poke, func(context.Context) { calls <- struct{}{} })
		close(done)
	}()

	wait := func(what string) time.Duration {
		select {
		case d := <-clock.asked:
			return d
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Every did not set a timer", what)
		}
		return 0
	}
	if d := wait("start"); d != time.Minute {
		t.Fatalf("first timer = %v, want 1m (until 09:00)", d)
	}
	clock.now = start.Add(time.Minute)
	clock.timer <- clock.now
	<-calls
	if d := wait("after a tick"); d != 24*time.Hour {
		t.Fatalf("next timer = %v, want 24h", d)
	}
	poke <- struct{}{} // SIGHUP
	<-calls
	wait("after a poke")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not stop with its context")
	}
}
