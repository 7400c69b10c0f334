package loadtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix/id"
)

// roundTrip sends text from p into room and waits up to wait for from's
// answer. status is "" when the expected answer came, else what went wrong.
func (m *mode) roundTrip(ctx context.Context, p *peer, room id.RoomID, text string, from id.UserID, want string, wait time.Duration) (r answer) {
	r.sent = time.Now()
	ev, err := p.say(ctx, room, text)
	if err != nil {
		r.status = "send failed: " + shorten(err.Error())
		return r
	}
	a, ok := m.replies.wait(ctx, ev, r.sent.Add(wait))
	switch {
	case !ok:
		r.status = statusNoAnswer
	case a.from != from || a.body != want:
		r.status = fmt.Sprintf("unexpected answer from %s: %q", a.from.Localpart(), shorten(a.body))
	default:
		r.at = a.at
		// the command was seen before its answer, by the same observer
		if c, ok := m.commands.wait(ctx, ev, time.Now()); ok && c.ts > 0 && a.ts >= c.ts {
			r.turnaround = time.Duration(a.ts-c.ts) * time.Millisecond
		} else {
			r.turnaround = -1
		}
	}
	return r
}

// answer is the outcome of one round trip.
type answer struct {
	sent, at time.Time
	// turnaround is answer − command by the homeserver's timestamps (ms):
	// the responder's share of the round trip, delivery to it included,
	// delivery to the observer left out; -1 when unknown
	turnaround time.Duration
	status     string
}

const statusNoAnswer = "no answer"

// timed is roundTrip for a phase that counts what goes wrong.
func (m *mode) timed(ctx context.Context, p *peer, room id.RoomID, text string, from id.UserID, want string) (answer, bool) {
	r := m.roundTrip(ctx, p, room, text, from, want, answerTimeout)
	if r.status != "" {
		status := r.status
		if status == statusNoAnswer {
			status = fmt.Sprintf("no answer within %s", answerTimeout)
		}
		m.problem(from.Localpart() + ": " + status)
		return r, false
	}
	return r, true
}

// warmUp has every latency sender send once to each latency room, so the
// timed samples do not pay for first-message costs (key sharing).
func (m *mode) warmUp(ctx context.Context) error {
	var failed atomic.Int64
	err := parallel(ctx, len(m.latencyPeers), 8, func(ctx context.Context, i int) error {
		p := m.latencyPeers[i]
		ev, err := p.say(ctx, m.floor, fmt.Sprintf("floor warm-up %d", i))
		if err != nil {
			failed.Add(1)
		} else if _, ok := m.deliveries.wait(ctx, ev, time.Now().Add(answerTimeout)); !ok {
			failed.Add(1)
		}
		cmd := timedCommands[i%len(timedCommands)]
		if _, ok := m.timed(ctx, p, m.le, cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd)); !ok {
			failed.Add(1)
		}
		s := m.latency.acquire(ctx, time.Now().Add(time.Minute))
		if s == nil {
			return ctx.Err()
		}
		defer m.latency.release(s)
		if _, ok := m.timed(ctx, s.p, m.lb, cmd, m.botID, m.answers[cmd][0]); !ok {
			failed.Add(1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	all := int64(3 * len(m.latencyPeers))
	if n := failed.Load(); n > 0 {
		m.note("warm-up: %d of %d first messages got no answer or delivery", n, all)
		if n == all {
			return errors.New("nothing got through during the warm-up")
		}
	}
	// the warm-up's problems are not the measurement's
	m.addProblemNotes("warm-up")
	return nil
}

// phaseLimit bounds a sequential phase of n samples.
func phaseLimit(n int) time.Duration { return 2*time.Minute + time.Duration(n)*time.Second }

// measureFloor times one-way deliveries, sender → lead, one at a time.
func (m *mode) measureFloor(ctx context.Context) error {
	var samples []time.Duration
	lost := 0
	deadline := time.Now().Add(phaseLimit(m.cfg.Commands))
	for i := range m.cfg.Commands {
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.note("one-way delivery stopped after %d samples (time limit)", i)
			break
		}
		p := m.latencyPeers[i%len(m.latencyPeers)]
		t := time.Now()
		ev, err := p.say(ctx, m.floor, fmt.Sprintf("floor %d", i))
		if err != nil {
			lost++
			m.problem("send failed: " + shorten(err.Error()))
			continue
		}
		a, ok := m.deliveries.wait(ctx, ev, t.Add(answerTimeout))
		if !ok {
			lost++
			continue
		}
		samples = append(samples, a.at.Sub(t))
	}
	m.res.Floor = Summarize(samples, lost)
	m.logf("%s: one-way p50 %s p99 %s", m.name(), ms(m.res.Floor.P50), ms(m.res.Floor.P99))
	return ctx.Err()
}

// measureRoundTrips times command → answer, one at a time, alternating
// between the echo client and guidebot so both see the same homeserver.
func (m *mode) measureRoundTrips(ctx context.Context) error {
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-roundtrip.cpu.pprof")
		if err := m.bot.startCPUProfile(file); err != nil {
			m.note("CPU profile: %v", err)
		} else {
			m.profiles = append(m.profiles, file)
			defer func() { _ = m.bot.stopCPUProfile() }()
		}
	}
	var echoRT, botRT, echoTurn, botTurn []time.Duration
	echoLost, botLost := 0, 0
	deadline := time.Now().Add(2 * phaseLimit(m.cfg.Commands))
	for i := range m.cfg.Commands {
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.note("round trips stopped after %d pairs (time limit)", i)
			break
		}
		cmd := timedCommands[i%len(timedCommands)]
		echo := func() {
			p := m.latencyPeers[i%len(m.latencyPeers)]
			if r, ok := m.timed(ctx, p, m.le, cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd)); ok {
				echoRT = append(echoRT, r.at.Sub(r.sent))
				if r.turnaround >= 0 {
					echoTurn = append(echoTurn, r.turnaround)
				}
			} else {
				echoLost++
			}
		}
		bot := func() {
			s := m.latency.acquire(ctx, deadline)
			if s == nil {
				botLost++
				return
			}
			r, ok := m.timed(ctx, s.p, m.lb, cmd, m.botID, m.answers[cmd][0])
			m.latency.release(s)
			if ok {
				botRT = append(botRT, r.at.Sub(r.sent))
				if r.turnaround >= 0 {
					botTurn = append(botTurn, r.turnaround)
				}
			} else {
				botLost++
			}
		}
		if i%2 == 0 {
			echo()
			bot()
		} else {
			bot()
			echo()
		}
	}
	m.res.P50DiffCI = ciDurations(BootstrapCI(echoRT, botRT, func(e, b []time.Duration) float64 {
		return float64(Percentile(b, 50) - Percentile(e, 50))
	}, 2000))
	m.res.P99RatioCI[0], m.res.P99RatioCI[1] = BootstrapCI(echoRT, botRT, func(e, b []time.Duration) float64 {
		return float64(Percentile(b, 99)) / float64(Percentile(e, 99))
	}, 2000)
	m.res.Echo = Summarize(echoRT, echoLost)
	m.res.Bot = Summarize(botRT, botLost)
	m.res.EchoTurnaround = Summarize(echoTurn, 0)
	m.res.BotTurnaround = Summarize(botTurn, 0)
	m.logf("%s: round trip p50/p99 echo %s / %s, guidebot %s / %s", m.name(),
		ms(m.res.Echo.P50), ms(m.res.Echo.P99), ms(m.res.Bot.P50), ms(m.res.Bot.P99))
	return ctx.Err()
}

// measureSustained primes every sender in its rooms, then runs the
// sustained phases: echo client, guidebot, echo client.
func (m *mode) measureSustained(ctx context.Context) error {
	began := time.Now()
	// Prime: each sender's first message in a room (and each responder's
	// first answer there) costs key sharing in encrypted rooms.
	type pair struct{ room, sender int }
	var pairs []pair
	for j, ps := range m.sustainPeers {
		for i := range ps {
			pairs = append(pairs, pair{j, i})
		}
	}
	err := parallel(ctx, len(pairs), 32, func(ctx context.Context, n int) error {
		j, i := pairs[n].room, pairs[n].sender
		cmd := timedCommands[n%len(timedCommands)]
		m.timed(ctx, m.sustainPeers[j][i], m.te[j], cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd))
		if s := m.sustainBot[j].acquire(ctx, time.Now().Add(time.Minute)); s != nil {
			m.timed(ctx, s.p, m.tb[j], cmd, m.botID, m.answers[cmd][0])
			m.sustainBot[j].release(s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.logf("%s: senders primed in %s", m.name(), time.Since(began).Round(time.Second))
	m.addProblemNotes("priming")

	// echo, guidebot, echo: the echo client's two halves straddle the
	// bot's phase, so a load that drifts during the run (other processes,
	// the homeserver's growing database) weighs on both alike.
	echoFrom := m.echo.cli.UserID
	echoWant := func(c string) string { return m.echo.expectedBody(c) }
	half := m.cfg.Duration / 2
	in0, n0 := m.echo.inside()
	echo1 := m.sustain(ctx, m.te, m.sustainEcho, echoFrom, echoWant, m.cfg.Warmup, half)
	in1, n1 := m.echo.inside()
	time.Sleep(2 * time.Second) // let stragglers drain
	if m.cfg.ProfileDir != "" {
		file := filepath.Join(m.cfg.ProfileDir, m.name()+"-sustained.cpu.pprof")
		if err := m.bot.startCPUProfile(file); err != nil {
			m.note("CPU profile: %v", err)
		} else {
			m.profiles = append(m.profiles, file)
			defer func() { _ = m.bot.stopCPUProfile() }()
		}
	}
	ticks0, t0 := m.bot.cpuTicks(), time.Now()
	sum0, count0, herr := m.bot.Histogram(ctx, "guidebot_command_duration_seconds")
	bot := m.sustain(ctx, m.tb, m.sustainBot, m.botID, func(c string) string { return m.answers[c][0] }, m.cfg.Warmup, m.cfg.Duration)
	if m.cfg.ProfileDir != "" {
		// blocking since the process started: this (restarted-later)
		// process has done little else than the timed phases
		for _, which := range []string{"block", "mutex"} {
			file := filepath.Join(m.cfg.ProfileDir, m.name()+"-sustained."+which+".pprof")
			if err := m.bot.saveProfile(which, file); err == nil {
				m.profiles = append(m.profiles, file)
			}
		}
	}
	if sum1, count1, err := m.bot.Histogram(ctx, "guidebot_command_duration_seconds"); herr == nil && err == nil && count1 > count0 {
		m.res.BotInside = time.Duration((sum1 - sum0) / (count1 - count0) * float64(time.Second))
	}
	// how busy the bot itself was: a bot far from a full core is held back
	// by waiting, not by its own work
	m.res.BotCPU = float64(m.bot.cpuTicks()-ticks0) / clockTicks / time.Since(t0).Seconds()
	m.res.BotRate, m.res.BotLoad = bot.rate(), Summarize(bot.rts, bot.lost)
	m.logf("%s: guidebot %.1f answers/s", m.name(), bot.rate())
	time.Sleep(2 * time.Second)

	in2, n2 := m.echo.inside()
	echo2 := m.sustain(ctx, m.te, m.sustainEcho, echoFrom, echoWant, m.cfg.Warmup, m.cfg.Duration-half)
	in3, n3 := m.echo.inside()
	if n := (n1 - n0) + (n3 - n2); n > 0 {
		m.res.EchoInside = ((in1 - in0) + (in3 - in2)) / time.Duration(n)
	}
	echo := echo1.plus(echo2)
	m.res.EchoRate, m.res.EchoLoad = echo.rate(), Summarize(echo.rts, echo.lost)
	m.res.EchoRateHalves = [2]float64{echo1.rate(), echo2.rate()}
	m.logf("%s: echo client %.1f answers/s (%.1f before, %.1f after)", m.name(), echo.rate(), echo1.rate(), echo2.rate())
	for _, p := range []struct {
		who string
		s   sustained
	}{{"echo", echo}, {"guidebot", bot}} {
		if p.s.inFlight > 0 {
			m.note("%s phase: %d commands were still unanswered 5 s after it ended (queued at the homeserver)", p.who, p.s.inFlight)
		}
	}
	return ctx.Err()
}

// sustained is what one or more sustained phases of a responder counted.
type sustained struct {
	dur      time.Duration   // measured time
	answered int             // answers received within it
	rts      []time.Duration // their round trips
	lost     int             // commands that failed (not merely late)
	inFlight int             // commands still unanswered 5 s after the phase ended
}

func (s sustained) rate() float64 {
	if s.dur <= 0 {
		return 0
	}
	return float64(s.answered) / s.dur.Seconds()
}

func (s sustained) plus(o sustained) sustained {
	return sustained{
		dur: s.dur + o.dur, answered: s.answered + o.answered,
		rts:  append(append([]time.Duration{}, s.rts...), o.rts...),
		lost: s.lost + o.lost, inFlight: s.inFlight + o.inFlight,
	}
}

// sustain keeps one command in flight in every room for warm+dur and
// counts the answers that arrive within the measured dur.
func (m *mode) sustain(ctx context.Context, rooms []id.RoomID, pools []*pool, from id.UserID, want func(string) string, warm, dur time.Duration) sustained {
	start := time.Now()
	from0 := start.Add(warm)
	to := from0.Add(dur)
	var (
		mu       sync.Mutex
		rts      []time.Duration
		lost     int
		inFlight int
		answered int
	)
	_ = parallel(ctx, len(rooms), len(rooms), func(ctx context.Context, j int) error {
		for i := 0; time.Now().Before(to); i++ {
			s := pools[j].acquire(ctx, to)
			if s == nil {
				return nil
			}
			pools[j].release(s)
			cmd := timedCommands[(i+j)%len(timedCommands)]
			// stop waiting soon after the window: later answers do not count
			wait := min(answerTimeout, time.Until(to)+5*time.Second)
			r := m.roundTrip(ctx, s.p, rooms[j], cmd, from, want(cmd), wait)
			mu.Lock()
			switch {
			case r.status == "" && !r.at.Before(from0) && !r.at.After(to):
				answered++
				rts = append(rts, r.at.Sub(r.sent))
			case r.status == statusNoAnswer && wait < answerTimeout:
				inFlight++ // still queued when the phase ended
			case r.status != "":
				lost++
				m.problem(from.Localpart() + ": " + r.status)
			}
			mu.Unlock()
			if r.status != "" && r.status != statusNoAnswer {
				time.Sleep(100 * time.Millisecond) // no hot loop on errors
			}
		}
		return nil
	})
	return sustained{dur: dur, answered: answered, rts: rts, lost: lost, inFlight: inFlight}
}
