package bot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// The outbox is how the bot keeps "every command answered exactly once"
// without making rooms wait for each other:
//
//   - when a sync brings a command (or an edit, a redaction, an invite...),
//     a row is written to the outbox table, and only then is the sync token
//     saved; the sync loop goes on at once;
//   - each room has its own worker that does the room's work in order, one
//     job at a time, every try of a job with the same transaction ID;
//   - a job that is done (or given up on) is marked so; a restart resumes
//     the rows still pending, first looking in the room for an answer an
//     earlier run may have sent just before it died.
//
// A room's queue is capped, every job has a retry budget with backoff that
// follows the homeserver's Retry-After, and /healthz reports answers that
// keep failing or wait too long.

const (
	// maxTries is the retry budget of one job.
	maxTries = 8
	// maxRetryWait caps one wait between tries, whatever the server asks.
	maxRetryWait = time.Minute
	// maxParallelSends bounds the sends in flight across all rooms; a room
	// waiting out a backoff does not hold a place.
	maxParallelSends = 64
	// unhealthyAfter is how long answers may fail, or wait, before
	// /healthz says so.
	unhealthyAfter = 2 * time.Minute
)

// errShuttingDown is what work handed to the outbox gets once it closed.
var errShuttingDown = errors.New("shutting down")

// job is one piece of work for a room's worker.
type job struct {
	row      *outboxRow   // nil for fn jobs
	evt      *event.Event // the event that asked, when known; nil after a restart
	received time.Time
	// resumed: loaded at start, so an earlier run may have done it already.
	resumed bool
	// fn, for work the announcer keeps track of itself, runs in the room's
	// turn; its outcome goes to result.
	fn     func(ctx context.Context) error
	result chan error
}

type outbox struct {
	table      outboxTable
	do         func(ctx context.Context, j *job) (id.EventID, error)
	log        zerolog.Logger
	obs        observer
	maxPerRoom int
	work       context.Context // ends shutdownGrace after shutdown began
	sends      chan struct{}
	seq        atomic.Int64

	mu     sync.Mutex
	rooms  map[id.RoomID][]*job // a room in the map has a worker
	closed bool
	wg     sync.WaitGroup

	hmu          sync.Mutex
	failingSince time.Time // zero while the last try worked
	failReason   string
}

func newOutbox(table outboxTable, log zerolog.Logger, obs observer, maxPerRoom int) *outbox {
	o := &outbox{
		table:      table,
		log:        log,
		obs:        obs,
		maxPerRoom: maxPerRoom,
		work:       context.Background(),
		sends:      make(chan struct{}, maxParallelSends),
		rooms:      map[id.RoomID][]*job{},
	}
	// Rows sort by seq: a clock reading, so that order holds across restarts.
	o.seq.Store(time.Now().UnixNano())
	return o
}

// nextSeq orders a new row after every earlier one.
func (o *outbox) nextSeq() int64 { return o.seq.Add(1) }

// load is how many jobs wait in room.
func (o *outbox) load(room id.RoomID) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.rooms[room])
}

// add records jobs in the table and queues those that are new.
func (o *outbox) add(ctx context.Context, jobs []*job) error {
	if len(jobs) == 0 {
		return nil
	}
	rows := make([]*outboxRow, len(jobs))
	byID := make(map[id.EventID]*job, len(jobs))
	for i, j := range jobs {
		rows[i] = j.row
		byID[j.row.EventID] = j
	}
	fresh, err := o.table.insert(ctx, rows)
	if err != nil {
		return err
	}
	for _, r := range fresh {
		if r.Kind == kindKeyWait {
			continue // its decrypted event, or the decryption failure, queues it
		}
		o.push(byID[r.EventID])
	}
	return nil
}

// resume queues every row still pending, at start.
func (o *outbox) resume(ctx context.Context) error {
	rows, err := o.table.pending(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		o.push(&job{row: r, received: time.Now(), resumed: true})
	}
	if len(rows) > 0 {
		o.log.Info().Int("jobs", len(rows)).Msg("Resuming work left pending by the last run")
	}
	return nil
}

// call runs fn in room's turn and returns its error.
func (o *outbox) call(ctx context.Context, room id.RoomID, fn func(ctx context.Context) error) error {
	j := &job{fn: fn, result: make(chan error, 1), received: time.Now()}
	o.pushTo(room, j)
	select {
	case err := <-j.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *outbox) push(j *job) { o.pushTo(j.row.RoomID, j) }

func (o *outbox) pushTo(room id.RoomID, j *job) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		if j.result != nil {
			j.result <- errShuttingDown
		}
		return // a table row stays pending for the next start
	}
	q, running := o.rooms[room]
	o.rooms[room] = append(q, j)
	if !running {
		o.wg.Add(1)
		go o.worker(room)
	}
	o.mu.Unlock()
	o.obs.outboxQueued(1)
}

// worker does room's jobs in order until its queue is empty.
func (o *outbox) worker(room id.RoomID) {
	defer o.wg.Done()
	for {
		o.mu.Lock()
		q := o.rooms[room]
		if len(q) == 0 || o.closed {
			delete(o.rooms, room)
			o.mu.Unlock()
			for _, j := range q {
				if j.result != nil {
					j.result <- errShuttingDown
				}
			}
			o.obs.outboxQueued(-len(q))
			return
		}
		j := q[0]
		o.mu.Unlock()
		o.run(j)
		o.mu.Lock()
		o.rooms[room] = o.rooms[room][1:]
		o.mu.Unlock()
		o.obs.outboxQueued(-1)
	}
}

// run does one job, retrying transient failures within its budget.
func (o *outbox) run(j *job) {
	ctx, log := o.work, o.log
	do := func(ctx context.Context) (id.EventID, error) { return "", j.fn(ctx) }
	finish := func(_ id.EventID, _ jobState, err error) { j.result <- err }
	if j.fn == nil {
		log = o.log.With().Stringer("room_id", j.row.RoomID).Stringer("event_id", j.row.EventID).
			Str("kind", string(j.row.Kind)).Logger()
		do = func(ctx context.Context) (id.EventID, error) { return o.do(ctx, j) }
		finish = func(sent id.EventID, state jobState, _ error) {
			if state == stateFailed {
				o.obs.outboxFailed(string(j.row.Kind))
			}
			if err := o.table.finish(context.WithoutCancel(ctx), j.row.EventID, state, sent); err != nil {
				log.Error().Err(err).Msg("Could not record how the work ended")
			}
		}
	}
	ctx = log.WithContext(ctx)
	for try := 1; ; try++ {
		o.sends <- struct{}{}
		sent, err := do(ctx)
		<-o.sends
		if err == nil {
			o.tryOK()
			finish(sent, stateDone, nil)
			return
		}
		if ctx.Err() != nil {
			if j.fn != nil {
				finish("", stateFailed, err)
			}
			return // shutdown: a row stays pending for the next start
		}
		if !isTransient(err) || try >= maxTries {
			log.Warn().Err(err).Int("tries", try).Msg("Giving up on this work")
			o.tryOK() // a job given up on no longer holds the queue
			finish("", stateFailed, err)
			return
		}
		wait, asked := retryAfter(err, time.Now())
		if !asked {
			wait = time.Second << min(try-1, 5)
		}
		wait = min(wait, maxRetryWait)
		o.tryFailed(failureReason(err))
		log.Debug().Err(err).Int("try", try).Dur("retry_in", wait).Msg("Will try again")
		select {
		case <-ctx.Done():
			if j.fn != nil {
				finish("", stateFailed, ctx.Err())
			}
			return
		case <-time.After(wait):
		}
	}
}

func (o *outbox) tryOK() {
	o.hmu.Lock()
	o.failingSince, o.failReason = time.Time{}, ""
	o.hmu.Unlock()
}

func (o *outbox) tryFailed(reason string) {
	o.hmu.Lock()
	if o.failingSince.IsZero() {
		o.failingSince = time.Now()
	}
	o.failReason = reason
	o.hmu.Unlock()
}

// healthy is the outbox's part of /healthz: unhealthy while sends have
// failed for unhealthyAfter without one working, or a job has waited that
// long in its queue.
func (o *outbox) healthy() (bool, string) {
	now := time.Now()
	o.hmu.Lock()
	since, reason := o.failingSince, o.failReason
	o.hmu.Unlock()
	if !since.IsZero() && now.Sub(since) > unhealthyAfter {
		return false, "answers failing: " + reason
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, q := range o.rooms {
		if len(q) > 0 && now.Sub(q[0].received) > unhealthyAfter {
			return false, "answers waiting for more than " + unhealthyAfter.String()
		}
	}
	return true, "ok"
}

// close stops taking work, lets the running jobs finish (until o.work
// ends) and waits for the workers.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.wg.Wait()
}
