package bot

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

func idUser(s string) id.UserID { return id.UserID(s) }

// A limit of 0 (bot.rate_limit: 0) lets everything through and tracks no one.
func TestFloodLimiterOff(t *testing.T) {
	f := newFloodLimiter(0, 10*time.Second)
	u := idUser("@u:x")
	for i := range 100 {
		if ok, warn := f.allow(u); !ok || warn {
			t.Fatalf("command %d: allow = %v, %v with the limit off", i, ok, warn)
		}
	}
	if f.blocked(u) || len(f.users) != 0 {
		t.Errorf("limit off: blocked = %v, %d users tracked", f.blocked(u), len(f.users))
	}
}

func TestFloodLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	f := newFloodLimiter(3, 10*time.Second)
	f.now = func() time.Time { return now }
	u := idUser("@u:x")

	for i := range 3 {
		if ok, warn := f.allow(u); !ok || warn {
			t.Fatalf("command %d: allow = %v, %v", i, ok, warn)
		}
		now = now.Add(time.Second)
	}
	if f.blocked(u) {
		t.Error("blocked before the warning")
	}
	if ok, warn := f.allow(u); ok || !warn {
		t.Errorf("4th command: allow = %v, %v; want refused with a warning", ok, warn)
	}
	if !f.blocked(u) {
		t.Error("not blocked after the warning")
	}
	if other := idUser("@v:x"); f.blocked(other) {
		t.Error("another user is blocked")
	}
	// the first command leaves the window 10 s after it was sent
	now = time.Unix(1010, 0)
	if f.blocked(u) {
		t.Error("still blocked once the window has room again")
	}
	if ok, _ := f.allow(u); !ok {
		t.Error("refused once the window has room again")
	}
	now = now.Add(time.Minute)
	f.blocked(u)
	if len(f.users) != 0 {
		t.Errorf("idle users kept: %d", len(f.users))
	}
}

func TestNoticeLimiter(t *testing.T) {
	n := newNoticeLimiter(time.Hour)
	if !n.allow("!a:x") || n.allow("!a:x") || !n.allow("!b:x") {
		t.Error("notice limiter does not allow exactly one per room")
	}
}
