package loadtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix"

	"github.com/guidebot/guidebot/bot/bottest"
)

// ExtrapolateRooms is the room count the large-room figures are
// extrapolated to.
const ExtrapolateRooms = 100_000

// Size is what was measured with the bot in one number of rooms.
type Size struct {
	Rooms      int           `json:"rooms"`
	Made       int           `json:"rooms_made"`     // rooms created for this size
	MadeIn     time.Duration `json:"rooms_made_ns"`  // how long creating and joining them took
	RSSJoin    uint64        `json:"rss_join_bytes"` // idle after the sync that brought the new rooms
	PeakJoin   uint64        `json:"peak_join_bytes"`
	RSSRestart uint64        `json:"rss_restart_bytes"` // idle after a restart
	Restart    time.Duration `json:"restart_ns"`        // restart → first answer
}

// scaleSteps are the steps after the timed phases: with the large-room
// measurement, guidebot is brought to LargeRooms/10 rooms and measured,
// then to LargeRooms and measured again; without it, it is measured in the
// rooms it has.
func (m *mode) scaleSteps() []step {
	if !m.scaled() {
		return []step{{"restarting guidebot", m.restart}}
	}
	small := max(m.cfg.LargeRooms/10, m.cfg.Rooms+3)
	return []step{
		{fmt.Sprintf("joining guidebot to %d rooms", small), func(ctx context.Context) error { return m.growRooms(ctx, small) }},
		{"reading idle memory", m.idleMemory},
		{"restarting guidebot", m.restart},
		{"keeping the figures of the smaller size", m.keepSmaller},
		{fmt.Sprintf("joining guidebot to %d rooms", m.cfg.LargeRooms), func(ctx context.Context) error { return m.growRooms(ctx, m.cfg.LargeRooms) }},
		{"reading idle memory", m.idleMemory},
		{"restarting guidebot", m.restart},
	}
}

// scaled reports whether this mode runs the large-room measurement.
func (m *mode) scaled() bool {
	switch m.cfg.LargeIn {
	case "both":
		return true
	case "encrypted":
		return m.enc
	case "plain":
		return !m.enc
	}
	return false
}

// keepSmaller moves the figures just measured into Smaller.
func (m *mode) keepSmaller(context.Context) error {
	r := m.res
	r.Smaller = &Size{Rooms: r.MemoryRooms, Made: r.Made, MadeIn: r.MadeIn,
		RSSJoin: r.RSSIdleJoin, PeakJoin: r.RSSPeakJoin, RSSRestart: r.RSSIdle, Restart: r.StartRestart}
	return nil
}

// The first sync after the bot's account joined rooms while it was down
// carries every new room's state, and Dendrite takes longer to build it the
// more rooms the account has (on SQLite: about 10 µs per new room per room
// held, so 2,500 new rooms at 8,750 took longer than mautrix's 180 s HTTP
// timeout, after which the bot would fetch it again forever). So each start
// brings at most growChunk new rooms, fewer once a catch-up took long: the
// next chunk is sized to catch up in about catchUpGoal. A bot in that many
// rooms joined them over time, too.
const (
	growChunk   = 2500
	minChunk    = 100
	catchUpGoal = 45 * time.Second
)

// nextChunk sizes the next start's new rooms from the last catch-up: n new
// rooms, the bot then in have rooms, took took. The cost per new room is
// taken to grow with the rooms held.
func nextChunk(n, have int, took time.Duration) int {
	if took <= 0 || n <= 0 {
		return growChunk
	}
	perRoom := took.Seconds() / float64(n) // at about have rooms held
	next := catchUpGoal.Seconds() / perRoom * float64(have) / float64(have+n)
	return min(max(int(next), minChunk), growChunk)
}

// growRooms brings guidebot up to target rooms, a chunk per start of the
// bot (see growOnce), and keeps how long making them took.
func (m *mode) growRooms(ctx context.Context, target int) error {
	began := time.Now()
	made, chunk := 0, growChunk
	for {
		have, err := m.bot.Metric(ctx, "guidebot_joined_rooms")
		if err != nil {
			return err
		}
		if int(have) >= target {
			break
		}
		n := min(target-int(have), chunk)
		took, err := m.growOnce(ctx, int(have)+n, n)
		if err != nil {
			return err
		}
		made += n
		chunk = nextChunk(n, int(have)+n, took)
	}
	m.res.Made, m.res.MadeIn = made, time.Since(began)
	m.logf("%s: guidebot in %d rooms, %d made for it in %s", m.name(), target, made, m.res.MadeIn.Round(time.Second))
	return nil
}

// growOnce brings guidebot up to target rooms. It stops the bot, joins
// its account to new rooms directly (a client that syncs while it joins
// thousands of rooms costs Dendrite O(rooms) per sync, and the run
// O(rooms²)), and starts it again, waiting until it reports them all; it
// returns how long the bot took to answer after that start. The timed
// phases ran before: Dendrite's incremental sync costs grow with a user's
// rooms, and would blur the comparison with the echo client.
func (m *mode) growOnce(ctx context.Context, target, filler int) (time.Duration, error) {
	m.settle(ctx)
	if err := m.bot.Stop(); err != nil {
		return 0, err
	}
	cli, err := m.tokenClient(&bottest.Login{UserID: m.botID.String()})
	if err != nil {
		return 0, err
	}
	if err := retry(ctx, "logging in as the bot", func() error {
		_, err := cli.Login(ctx, &mautrix.ReqLogin{
			Type:       mautrix.AuthTypePassword,
			Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: m.botID.String()},
			Password:   accountPassword, StoreCredentials: true,
		})
		return err
	}); err != nil {
		return 0, err
	}
	// Every join tells the clients sharing a room with the bot that its
	// device list changed (and each then asks for its keys): they pause
	// meanwhile, and catch up once.
	syncing := append([]*peer{m.lead, m.echo.peer}, m.observers...)
	for _, p := range syncing {
		p.stopSync()
	}
	var made atomic.Int64
	began := time.Now()
	lastLog := began
	// Dendrite writes one event at a time: a few creators are as fast as many.
	err = parallel(ctx, len(m.fillers), len(m.fillers), func(ctx context.Context, c int) error {
		for k := c; k < filler; k += len(m.fillers) {
			room, err := createRoom(ctx, m.fillers[c], m.enc)
			if err != nil {
				return err
			}
			if err := retry(ctx, "joining "+room.String(), func() error {
				_, err := cli.JoinRoomByID(ctx, room)
				return err
			}); err != nil {
				return err
			}
			if n := made.Add(1); c == 0 && time.Since(lastLog) > 30*time.Second {
				lastLog = time.Now()
				m.logf("%s: %d/%d new rooms (%.1f/s)", m.name(), n, filler, float64(n)/time.Since(began).Seconds())
			}
		}
		return nil
	})
	for _, p := range syncing {
		p.startSync()
	}
	if err != nil {
		return 0, err
	}
	if _, err := cli.Logout(ctx); err != nil {
		return 0, fmt.Errorf("logging out the bot's extra device: %w", err)
	}
	took := time.Since(began)
	m.logf("%s: %d new rooms made and joined in %s (%.1f/s); starting guidebot again", m.name(), filler,
		took.Round(time.Second), float64(filler)/took.Seconds())
	// its first answer tells it has been through the sync holding them
	// (a chunk is sized to catch up in catchUpGoal: three times that is a
	// slow catch-up, more is a stuck one)
	d, err := m.startAndProbe(ctx, m.bot, m.lb, m.botID, probeLimit+3*catchUpGoal)
	if err != nil {
		return 0, err
	}
	m.logf("%s: guidebot answered %.2f s after starting with %d new rooms (%d in all)", m.name(), d.Seconds(), filler, target)
	return d, m.waitBotRooms(ctx, target)
}

// extrapolate fits a straight line through (x1, y1) and (x2, y2) and
// returns its value at x.
func extrapolate(x1, y1, x2, y2, x float64) float64 {
	if x2 == x1 {
		return y2
	}
	return y2 + (y2-y1)/(x2-x1)*(x-x2)
}

// scaleRows are the rows of the smaller size and the extrapolation.
func (m *ModeResult) scaleRows(add func(what, measured, budget, result string)) {
	s := m.Smaller
	if s == nil || m.MemoryRooms <= s.Rooms {
		return
	}
	add(fmt.Sprintf("guidebot in %d rooms: VmRSS idle after the sync that brought them / after a restart; restart to first answer", s.Rooms),
		fmt.Sprintf("%s / %s; %.2f s", mb(s.RSSJoin), mb(s.RSSRestart), s.Restart.Seconds()), "— (to fit the growth)", "")
	x1, x2, x := float64(s.Rooms), float64(m.MemoryRooms), float64(ExtrapolateRooms)
	join := extrapolate(x1, float64(s.RSSJoin), x2, float64(m.RSSIdleJoin), x)
	restart := extrapolate(x1, float64(s.RSSRestart), x2, float64(m.RSSIdle), x)
	start := extrapolate(x1, s.Restart.Seconds(), x2, m.StartRestart.Seconds(), x)
	add(fmt.Sprintf("extrapolated to %d rooms (a straight line through %d and %d rooms, not measured): VmRSS after joining / after a restart; restart to first answer",
		ExtrapolateRooms, s.Rooms, m.MemoryRooms),
		fmt.Sprintf("%s / %s; %.1f s", mb(uint64(max(join, 0))), mb(uint64(max(restart, 0))), start), "— (extrapolation)", "")
	if m.MadeIn > 0 {
		add("setup: creating the rooms of the larger size and joining guidebot to them (with its syncs)",
			fmt.Sprintf("%d rooms in %s (%.1f/s)", m.Made, m.MadeIn.Round(time.Second), float64(m.Made)/m.MadeIn.Seconds()), "— (setup)", "")
	}
}
