package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// guidebot's default flood limit (bot.rate_limit, bot.rate_limit_window):
// the noisy room's users send at exactly this pace (the bot under test has
// the limit off, so it answers every one; see pool.go).
const (
	botRateLimit  = 5
	botRateWindow = 10 * time.Second
)

// setupNoisyRoom creates the noisy room (a filler account makes it: it
// never syncs, so the tool does not read the noise back), invites the bot,
// and has the noisy users join it and send a first command, so that key
// sharing is not part of the noise.
func (m *mode) setupNoisyRoom(ctx context.Context) error {
	var err error
	if m.noisy, err = createRoom(ctx, m.fillers[0], m.enc, m.botID); err != nil {
		return err
	}
	if err := m.waitBotRooms(ctx, m.cfg.Rooms+2); err != nil {
		return err
	}
	err = parallel(ctx, len(m.noisyPeers), 4, func(ctx context.Context, i int) error {
		p := m.noisyPeers[i]
		if err := joinRoom(ctx, p, m.noisy); err != nil {
			return err
		}
		if m.enc {
			return loadRoomState(ctx, p, m.noisy)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = parallel(ctx, len(m.noisyPeers), 8, func(ctx context.Context, i int) error {
		_, _ = m.noisyPeers[i].say(ctx, m.noisy, timedCommands[i%len(timedCommands)])
		return nil
	})
	m.settle(ctx)
	return nil
}

// measureNoisy times round trips in the quiet room (the latency room, one
// command at a time) alone, then while every noisy user sends commands at
// the default flood limit's pace, then alone again: the two alone halves straddle the
// noisy part, so a drifting homeserver weighs on both conditions alike.
func (m *mode) measureNoisy(ctx context.Context) error {
	n := m.cfg.Commands
	cmdCount := func() float64 {
		v, _ := m.bot.Metric(ctx, "guidebot_commands_total")
		return v
	}
	alone1 := m.quietRoundTrips(ctx, n/2)

	before, limited0 := cmdCount(), m.limited(ctx)
	stop := make(chan struct{})
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	every := botRateWindow / botRateLimit
	began := time.Now()
	for i, p := range m.noisyPeers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// staggered, so the room sees an even stream
			select {
			case <-stop:
				return
			case <-time.After(every * time.Duration(i) / time.Duration(len(m.noisyPeers))):
			}
			tick := time.NewTicker(every)
			defer tick.Stop()
			for k := 0; ; k++ {
				if _, err := p.say(ctx, m.noisy, timedCommands[(i+k)%len(timedCommands)]); err != nil {
					failed.Add(1)
				} else {
					sent.Add(1)
				}
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	// the noise reaches its full pace after one interval
	time.Sleep(every + m.cfg.Warmup)
	noisy := m.quietRoundTrips(ctx, n)
	close(stop)
	wg.Wait()
	noisyFor := time.Since(began)
	m.settle(ctx) // the noisy room's answers drain before the second half
	limited := m.limited(ctx) - limited0
	handled := cmdCount() - before - float64(len(noisy.bot)+noisy.botLost) - limited

	alone := alone1.plus(m.quietRoundTrips(ctx, n-n/2))
	r := m.res
	r.NoisyUsers = len(m.noisyPeers)
	r.NoisySent = int(sent.Load())
	r.NoisyRate = float64(sent.Load()) / noisyFor.Seconds()
	r.NoisyHandled, r.NoisyLimited = int(handled), int(limited)
	r.QuietAlone = Summarize(alone.bot, alone.botLost)
	r.QuietNoisy = Summarize(noisy.bot, noisy.botLost)
	r.EchoQuietAlone = Summarize(alone.echo, alone.echoLost)
	r.EchoQuietNoisy = Summarize(noisy.echo, noisy.echoLost)
	r.NoisyP50CI[0], r.NoisyP50CI[1] = BootstrapCI(alone.bot, noisy.bot, func(a, b []time.Duration) float64 {
		return float64(Percentile(b, 50)) / float64(Percentile(a, 50))
	}, 2000)
	if f := failed.Load(); f > 0 {
		m.note("noisy room: %d sends failed", f)
	}
	m.logf("%s: quiet room p50/p99 alone %s / %s, beside the noisy room %s / %s (%d noisy commands, %.1f/s, %d limited)",
		m.name(), ms(r.QuietAlone.P50), ms(r.QuietAlone.P99), ms(r.QuietNoisy.P50), ms(r.QuietNoisy.P99), r.NoisySent, r.NoisyRate, r.NoisyLimited)
	return ctx.Err()
}

// limited is guidebot's count of commands dropped at the flood limit.
func (m *mode) limited(ctx context.Context) float64 {
	v, _ := m.bot.Metric(ctx, "guidebot_commands_total", `outcome="limited"`)
	return v
}

// quiet is what the quiet rooms measured in one condition: guidebot's
// round trips in its latency room and, alternating with them, the echo
// client's in its own, which tell how much of a change is the homeserver's.
type quiet struct {
	bot, echo         []time.Duration
	botLost, echoLost int
}

func (q quiet) plus(o quiet) quiet {
	return quiet{append(append([]time.Duration{}, q.bot...), o.bot...), append(append([]time.Duration{}, q.echo...), o.echo...),
		q.botLost + o.botLost, q.echoLost + o.echoLost}
}

// quietRoundTrips times n round trips in the bot's latency room and n in
// the echo client's, one at a time, from the latency senders.
func (m *mode) quietRoundTrips(ctx context.Context, n int) (q quiet) {
	deadline := time.Now().Add(2 * phaseLimit(n))
	for i := range n {
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.note("quiet room: stopped after %d of %d round trips (time limit)", i, n)
			break
		}
		cmd := timedCommands[i%len(timedCommands)]
		s := m.latency.acquire(ctx, deadline)
		if s == nil {
			q.botLost++
			continue
		}
		r, ok := m.timed(ctx, s.p, m.lb, cmd, m.botID, m.answers[cmd][0])
		m.latency.release(s)
		if ok {
			q.bot = append(q.bot, r.at.Sub(r.sent))
		} else {
			q.botLost++
		}
		p := m.latencyPeers[i%len(m.latencyPeers)]
		if r, ok := m.timed(ctx, p, m.le, cmd, m.echo.cli.UserID, m.echo.expectedBody(cmd)); ok {
			q.echo = append(q.echo, r.at.Sub(r.sent))
		} else {
			q.echoLost++
		}
	}
	return q
}

// noisyRows are the noisy-neighbour rows of the table.
func (m *ModeResult) noisyRows(add func(what, measured, budget, result string)) {
	what := fmt.Sprintf("quiet room p50 beside a noisy room (%d users each at the default flood limit's pace) vs alone", m.NoisyUsers)
	if m.QuietAlone.N == 0 || m.QuietNoisy.N == 0 {
		add(what, "—", fmt.Sprintf("≤ ×%.2f", BudgetNoisyFactor), resultNone)
		return
	}
	ratio := float64(m.QuietNoisy.P50) / float64(m.QuietAlone.P50)
	res := verdict(ratio <= BudgetNoisyFactor && m.QuietNoisy.Timeouts == 0)
	ci := ""
	if m.NoisyP50CI != [2]float64{} {
		ci = fmt.Sprintf("; 95 %% CI ×%.2f…×%.2f", m.NoisyP50CI[0], m.NoisyP50CI[1])
		if m.NoisyP50CI[0] <= BudgetNoisyFactor && BudgetNoisyFactor < m.NoisyP50CI[1] {
			res += " (CI spans the budget)"
		}
	}
	add(what, fmt.Sprintf("%s (alone %s, ×%.2f%s)", ms(m.QuietNoisy.P50), ms(m.QuietAlone.P50), ratio, ci),
		fmt.Sprintf("≤ ×%.2f = %s", BudgetNoisyFactor, ms(time.Duration(float64(m.QuietAlone.P50)*BudgetNoisyFactor))), res)
	add("quiet room p99 beside the noisy room vs alone",
		fmt.Sprintf("%s (alone %s, ×%.2f)", ms(m.QuietNoisy.P99), ms(m.QuietAlone.P99), float64(m.QuietNoisy.P99)/float64(m.QuietAlone.P99)),
		noBudget, "")
	if m.EchoQuietAlone.N > 0 && m.EchoQuietNoisy.N > 0 {
		add("echo client in its quiet room beside guidebot's noisy room vs alone, p50 / p99 (the homeserver's share)",
			fmt.Sprintf("%s / %s (alone %s / %s, ×%.2f / ×%.2f)", ms(m.EchoQuietNoisy.P50), ms(m.EchoQuietNoisy.P99),
				ms(m.EchoQuietAlone.P50), ms(m.EchoQuietAlone.P99),
				float64(m.EchoQuietNoisy.P50)/float64(m.EchoQuietAlone.P50), float64(m.EchoQuietNoisy.P99)/float64(m.EchoQuietAlone.P99)),
			noBudget, "")
	}
	add("noisy room: commands sent, per second; answered by guidebot (its counters, ± those in flight at the edges); dropped at its flood limit",
		fmt.Sprintf("%d, %.1f/s; %d; %d", m.NoisySent, m.NoisyRate, m.NoisyHandled, m.NoisyLimited), "— (the load)", "")
}
