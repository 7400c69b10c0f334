package bot

import (
	"sync"
	"time"

	"maunium.net/go/mautrix/id"
)

const (
	// undecryptableEvery bounds the "could not decrypt" notices per room.
	undecryptableEvery = time.Hour

	// A sender may have keyWaitMax messages per keyWaitWindow waiting for
	// a room key the bot lacks (see gateEncrypted).
	keyWaitMax    = 10
	keyWaitWindow = time.Minute

	// maxTrackedUsers caps the limiter's map: past it, idle users are
	// swept, and if all are active, a new user is refused until some go
	// idle, so a crowd of fresh accounts cannot grow it without bound.
	maxTrackedUsers = 100_000
)

// floodLimiter is a per-user sliding window: a user may send max commands
// per window (bot.rate_limit and bot.rate_limit_window); past that, one "slow
// down" notice and silence until the window has passed. A max of 0 turns it
// off.
type floodLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	users map[id.UserID]*floodState
}

type floodState struct {
	times  []time.Time // the last commands inside the window, oldest first
	warned bool
}

func newFloodLimiter(max int, window time.Duration) *floodLimiter {
	return &floodLimiter{max: max, window: window, now: time.Now, users: map[id.UserID]*floodState{}}
}

// prune drops times out of the window; callers hold mu.
func (f *floodLimiter) prune(u id.UserID, now time.Time) *floodState {
	st := f.users[u]
	if st == nil {
		return nil
	}
	i := 0
	for i < len(st.times) && now.Sub(st.times[i]) >= f.window {
		i++
	}
	st.times = st.times[i:]
	if len(st.times) < f.max {
		st.warned = false // the window has room again: a new flood warns again
	}
	if len(st.times) == 0 {
		delete(f.users, u) // keeps the map from growing with every user ever seen
		return nil
	}
	return st
}

// blocked reports whether u is over the limit and has been warned, without
// counting: such messages are dropped before they are even parsed.
func (f *floodLimiter) blocked(u id.UserID) bool {
	if f.max <= 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.prune(u, f.now())
	return st != nil && st.warned
}

// allow counts one command by u. When it is over the limit, warn is true
// the first time only.
func (f *floodLimiter) allow(u id.UserID) (ok, warn bool) {
	if f.max <= 0 {
		return true, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	st := f.prune(u, now)
	if st == nil {
		if len(f.users) >= maxTrackedUsers {
			for other := range f.users {
				f.prune(other, now) // drops the idle ones
			}
			if len(f.users) >= maxTrackedUsers {
				return false, false // all busy: a crowd of new accounts waits
			}
		}
		st = &floodState{}
		f.users[u] = st
	}
	if len(st.times) >= f.max {
		warn = !st.warned
		st.warned = true
		return false, warn
	}
	st.times = append(st.times, now)
	return true, false
}

// noticeLimiter allows one notice per room per interval.
type noticeLimiter struct {
	every time.Duration
	mu    sync.Mutex
	last  map[id.RoomID]time.Time
}

func newNoticeLimiter(every time.Duration) *noticeLimiter {
	return &noticeLimiter{every: every, last: map[id.RoomID]time.Time{}}
}

func (n *noticeLimiter) allow(room id.RoomID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t, ok := n.last[room]; ok && time.Since(t) < n.every {
		return false
	}
	n.last[room] = time.Now()
	return true
}
