package bot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// errBatchFailed stops SyncWithContext so that the run loop starts syncing
// again from the last committed token, fetching the failed batch again.
var errBatchFailed = errors.New("some answers of a sync batch could not be sent")

// syncer is mautrix's DefaultSyncer (so cryptohelper can register on it and
// dispatch decrypted events through it) with three changes:
//   - the handlers queue their network work into a batch, run after the
//     whole response has been dispatched, concurrently across rooms and in
//     order within a room;
//   - the sync token is committed only after that batch succeeded;
//   - failed syncs back off exponentially instead of a flat 10 s.
type syncer struct {
	*mautrix.DefaultSyncer
	store *deferredSyncStore
	log   zerolog.Logger
	obs   observer
	work  context.Context // see ProcessResponse
	// committed counts batches whose token was committed, so the run loop
	// can tell a loop that works from one that keeps failing.
	committed atomic.Int64
	failures  atomic.Int32
}

func newSyncer(log zerolog.Logger, obs observer) *syncer {
	return &syncer{DefaultSyncer: mautrix.NewDefaultSyncer(), log: log, obs: obs, work: context.Background()}
}

// valuesFrom is a context with the deadline and cancellation of one and the
// values (sync token, logger, batch) of another.
type valuesFrom struct {
	context.Context
	values context.Context
}

func (v valuesFrom) Value(key any) any { return v.values.Value(key) }

// maxParallelRooms bounds how many rooms are answered at once. Sends wait
// on the homeserver, not the CPU, and the next sync waits for the whole
// batch, so a low bound (16 was tried) cost about a third of the sustained
// throughput across 100 busy rooms in the load tool.
const maxParallelRooms = 64

// shutdownGrace is how long a batch may still run after shutdown began.
const shutdownGrace = 8 * time.Second

func (s *syncer) ProcessResponse(ctx context.Context, resp *mautrix.RespSync, since string) error {
	s.failures.Store(0)
	s.obs.syncOK()
	// Shutdown must not cut a batch in half, so the handlers do not get the
	// sync's context but s.work, which ends shutdownGrace after shutdown
	// began (a container gets SIGKILL soon after SIGTERM): past it the sends
	// are cancelled, the token stays uncommitted and the next start fetches
	// the batch again. It also outlives this call, as it must: cryptohelper
	// decrypts an event whose key comes late in a goroutine using this ctx.
	ctx = valuesFrom{Context: s.work, values: ctx}
	b := &batch{rooms: map[id.RoomID][]job{}}
	ctx = context.WithValue(s.log.WithContext(ctx), batchKey{}, b)
	if err := s.DefaultSyncer.ProcessResponse(ctx, resp, since); err != nil {
		// A handler panicked. Fetching the batch again would panic again,
		// so log it and move on.
		s.log.Error().Err(err).Msg("Processing sync response failed")
	}
	if !b.run(ctx) {
		s.store.drop()
		return errBatchFailed
	}
	if err := s.store.commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	s.committed.Add(1)
	return nil
}

// OnFailedSync waits 1 s, 2 s, 4 s … up to 60 s between failed syncs, and
// gives up only when the access token is no longer valid.
func (s *syncer) OnFailedSync(_ *mautrix.RespSync, err error) (time.Duration, error) {
	if errors.Is(err, mautrix.MUnknownToken) {
		return 0, err
	}
	n := s.failures.Add(1)
	s.obs.syncFailed(syncFailureReason(err))
	wait := time.Second << min(n-1, 6)
	s.log.Warn().Err(err).Int32("failures", n).Dur("retry_in", wait).Msg("Sync failed")
	return min(wait, 60*time.Second), nil
}

type batchKey struct{}

// job is network work for one event. An error marks the batch failed (the
// token is not committed); a job that fails for good should log and return
// nil instead.
type job func(ctx context.Context) error

type batch struct {
	mu    sync.Mutex
	done  bool
	order []id.RoomID
	rooms map[id.RoomID][]job
}

// enqueue adds j to the batch in ctx, or runs it at once when there is no
// open batch (an event decrypted late, after its sync response).
func enqueue(ctx context.Context, room id.RoomID, j job) {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		b.mu.Lock()
		if !b.done {
			if _, seen := b.rooms[room]; !seen {
				b.order = append(b.order, room)
			}
			b.rooms[room] = append(b.rooms[room], j)
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
	if err := j(ctx); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Stringer("room_id", room).Msg("Late job failed")
	}
}

// run runs the queued jobs and reports whether all succeeded.
func (b *batch) run(ctx context.Context) bool {
	b.mu.Lock()
	b.done = true
	order, rooms := b.order, b.rooms
	b.mu.Unlock()
	if len(order) == 0 {
		return true
	}
	var (
		wg     sync.WaitGroup
		failed atomic.Bool
		sem    = make(chan struct{}, maxParallelRooms)
	)
	for _, room := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(jobs []job) {
			defer func() { <-sem; wg.Done() }()
			for _, j := range jobs {
				if err := j(ctx); err != nil {
					failed.Store(true)
					zerolog.Ctx(ctx).Warn().Err(err).Stringer("room_id", room).Msg("Job failed, the batch will be fetched again")
				}
			}
		}(rooms[room])
	}
	wg.Wait()
	return !failed.Load()
}

// syncFailureReason is a short, secret-free description for /healthz.
func syncFailureReason(err error) string {
	var httpErr mautrix.HTTPError
	switch {
	case errors.As(err, &httpErr) && httpErr.RespError != nil:
		return httpErr.RespError.ErrCode
	case errors.As(err, &httpErr) && httpErr.Response != nil:
		return httpErr.Response.Status
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "homeserver unreachable"
}
