package announce

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/guidebot/guidebot/content"
)

// ParseSchedule parses a five-field cron expression ("0 9 * * *") read in
// the named time zone ("UTC", "Europe/Paris").
func ParseSchedule(expr, timezone string) (cron.Schedule, error) {
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", timezone)
	}
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("bad cron expression %q: %w", expr, err)
	}
	if spec, ok := sched.(*cron.SpecSchedule); ok {
		spec.Location = loc
	}
	return sched, nil
}

// Clock is the time source of Every, replaced by a fake one in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// Every calls fn at each time sched gives, or when poke receives, until ctx
// ends. Calls never overlap: a tick due while fn runs is taken afterwards.
func Every(ctx context.Context, sched cron.Schedule, clock Clock, poke <-chan struct{}, fn func(context.Context)) {
	for {
		var tick <-chan time.Time
		if sched != nil {
			now := clock.Now()
			tick = clock.After(sched.Next(now).Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-poke:
		}
		fn(ctx)
	}
}

// Refresh loads the content; when it is valid, hands it to use (which makes
// it current for commands) and announces what is new. Invalid content is
// refused: the error is returned with every problem, and the old content
// stays in use with nothing announced.
func (a *Announcer) Refresh(ctx context.Context, load func() (*content.Set, error), use func(*content.Set)) error {
	set, err := load()
	if err != nil {
		return fmt.Errorf("content refused, keeping the current one: %w", err)
	}
	use(set)
	sent, failed, err := a.Run(ctx, set)
	a.Log.Info().Str("content_version", set.Version()).Int("rooms_sent", sent).Int("rooms_failed", failed).Msg("Content refreshed")
	return err
}
