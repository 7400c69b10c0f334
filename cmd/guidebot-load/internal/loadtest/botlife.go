package loadtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

// firstStart starts guidebot on a new database, in its latency room only,
// and times its first answer: the start of a new deployment.
func (m *mode) firstStart(ctx context.Context) error {
	botDir := filepath.Join(m.dir, "guidebot")
	if err := os.MkdirAll(botDir, 0o700); err != nil {
		return err
	}
	var err error
	m.bot, err = newBotProc(m.bin, botDir, bottest.BotConfig{
		Homeserver: m.hs.URL, UserID: m.botID.String(), Password: accountPassword, Encrypted: m.enc,
	}, m.cfg.ProfileDir != "")
	if err != nil {
		return err
	}
	d, err := m.startAndProbe(ctx, m.bot, m.lb, m.botID, probeLimit)
	if err != nil {
		return err
	}
	m.res.StartFirst = d
	m.logf("%s: first answer %.2f s after the process started", m.name(), d.Seconds())
	return nil
}

// startAndProbe starts the bot process and sends probeCommand into room
// until one is answered; it returns process start → that answer received.
// Probes go every probeEvery for the first probeDense (the budget is 2 s),
// then every second: a slow start must not pile up hundreds of commands
// that the bot, rightly, answers or flood-limits once it runs.
// limit bounds the wait.
func (m *mode) startAndProbe(ctx context.Context, bot *botProc, room id.RoomID, botID id.UserID, limit time.Duration) (time.Duration, error) {
	t0, err := bot.start()
	if err != nil {
		return 0, err
	}
	want := m.answers[probeCommand][0]
	deadline := t0.Add(limit)
	var sent []id.EventID
	next := t0
	for time.Now().Before(deadline) {
		if exited, err := bot.Exited(); exited {
			return 0, fmt.Errorf("guidebot exited (%v); see %s (kept with -keep)", err, bot.LogPath)
		}
		if !time.Now().Before(next) {
			if ev, err := m.probe(ctx, room, botID); err == nil {
				sent = append(sent, ev)
			}
			if time.Since(t0) < probeDense {
				// no catching up in a burst after a slow send
				next = later(next.Add(probeEvery), time.Now())
			} else {
				next = time.Now().Add(time.Second)
			}
		}
		for _, ev := range sent {
			if a, ok := m.replies.peek(ev); ok && a.from == botID && a.body == want {
				return a.at.Sub(t0), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("no answer within %s of the start (%d probes sent); see %s (kept with -keep)", limit, len(sent), bot.LogPath)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// probe sends one probeCommand from the lead. In encrypted rooms it first
// drops the lead's outbound session and fetches the bot's devices again, so
// the probe is readable by a device the bot created a moment ago: a
// session shared before it existed is withheld from it, and the lead
// would notice the new device only after a sync or two, which would be
// timing the lead, not the bot.
func (m *mode) probe(ctx context.Context, room id.RoomID, botID id.UserID) (id.EventID, error) {
	if m.lead.crypto != nil {
		mach := m.lead.crypto.Machine()
		if err := mach.CryptoStore.RemoveOutboundGroupSession(ctx, room); err != nil {
			return "", err
		}
		if _, err := mach.FetchKeys(ctx, []id.UserID{botID}, true); err != nil {
			return "", err
		}
	}
	return m.lead.say(ctx, room, probeCommand)
}

// settle waits until the bot has handled everything sent to it: its
// message counters unchanged for Settle (1.5 to 3 s; at most a minute in
// all), so that memory is read, and a restart happens, with no batch in
// progress.
func (m *mode) settle(ctx context.Context) {
	need := int(min(max(m.cfg.Settle, 1500*time.Millisecond), 3*time.Second) / (500 * time.Millisecond))
	last, quiet := -1.0, 0
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && quiet < need; {
		n, err := m.bot.Metric(ctx, "guidebot_messages_total")
		c, err2 := m.bot.Metric(ctx, "guidebot_commands_total")
		if err == nil && err2 == nil && n+c == last {
			quiet++
		} else {
			quiet, last = 0, n+c
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// idleMemory reads the bot's resident memory once it is idle after the
// sync that brought it its filler rooms (a bot on a new database in that
// many rooms goes through the same), and keeps that process's peak.
func (m *mode) idleMemory(ctx context.Context) error {
	m.settle(ctx)
	time.Sleep(m.cfg.Settle)
	rss, hwm, err := m.bot.memory()
	if err != nil {
		return err
	}
	m.res.RSSIdleJoin, m.res.RSSPeakJoin = rss, hwm
	if n, err := m.bot.Metric(ctx, "guidebot_joined_rooms"); err == nil {
		m.res.MemoryRooms = int(n)
	}
	m.logf("%s: guidebot VmRSS %s idle (peak %s) after a sync bringing it to %d rooms", m.name(), mb(rss), mb(hwm), m.res.MemoryRooms)
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-idle.heap.pprof")
		if err := m.bot.heapProfile(file); err != nil {
			m.note("heap profile: %v", err)
		} else {
			m.profiles = append(m.profiles, file)
		}
	}
	return nil
}

// restart stops the bot (SIGTERM) and times its first answer after it
// starts again on its database, in all its rooms, then reads its memory
// once it is idle.
func (m *mode) restart(ctx context.Context) error {
	if err := m.bot.Stop(); err != nil {
		return err
	}
	profile := ""
	if m.cfg.ProfileDir != "" {
		profile = filepath.Join(m.cfg.ProfileDir, m.name()+"-restart.cpu.pprof")
		m.bot.startProfile = profile
	}
	d, err := m.startAndProbe(ctx, m.bot, m.lb, m.botID, probeLimit)
	if profile != "" {
		if perr := m.bot.stopCPUProfile(); perr == nil {
			m.profiles = append(m.profiles, profile)
		}
	}
	if err != nil {
		return err
	}
	m.res.StartRestart = d
	if n, err := m.bot.Metric(ctx, "guidebot_joined_rooms"); err == nil {
		m.res.MemoryRooms = int(n)
	}
	m.logf("%s: first answer %.2f s after the restart in %d rooms", m.name(), d.Seconds(), m.res.MemoryRooms)
	m.settle(ctx)
	time.Sleep(m.cfg.Settle)
	if m.res.RSSIdle, _, err = m.bot.memory(); err != nil {
		return err
	}
	m.logf("%s: guidebot VmRSS %s idle after the restart", m.name(), mb(m.res.RSSIdle))
	return nil
}

// loadMemory keeps guidebot busy in its sustained rooms, now that it is in
// all its rooms, and reads its resident memory meanwhile.
func (m *mode) loadMemory(ctx context.Context) error {
	var maxRSS atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _, err := m.bot.memory(); err == nil && rss > maxRSS.Load() {
				maxRSS.Store(rss)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	dur := max(m.cfg.Duration/2, 4*time.Second)
	run := m.sustain(ctx, m.tb, m.sustainBot, m.botID, func(c string) string { return m.answers[c][0] }, m.cfg.Warmup, dur)
	close(stop)
	<-sampled
	m.res.RSSLoad = maxRSS.Load()
	m.res.BotRateAll = run.rate()
	if _, hwm, err := m.bot.memory(); err == nil {
		m.res.RSSPeak = hwm
	}
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-load.heap.pprof")
		if err := m.bot.heapProfile(file); err == nil {
			m.profiles = append(m.profiles, file)
		}
	}
	m.logf("%s: guidebot in %d rooms: %.1f answers/s, VmRSS max %s", m.name(), m.res.MemoryRooms, run.rate(), mb(m.res.RSSLoad))
	return ctx.Err()
}
