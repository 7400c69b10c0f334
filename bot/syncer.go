package bot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// syncer is mautrix's DefaultSyncer (so cryptohelper can register on it and
// dispatch decrypted events through it) with these changes:
//   - the handlers record what a response asks of the bot in a recorder;
//     once the whole response is dispatched, that is written to the outbox
//     and only then is the sync token saved — the answers are sent by the
//     rooms' workers, the sync loop does not wait for them;
//   - the encrypted-event handler cryptohelper registers is gated per
//     sender (see keyWaitLimiter);
//   - failed syncs back off exponentially instead of a flat 10 s.
type syncer struct {
	*mautrix.DefaultSyncer
	store  *deferredSyncStore
	outbox *outbox
	log    zerolog.Logger
	obs    observer
	// gate, when set, wraps the handler cryptohelper registers for
	// encrypted events.
	gate func(mautrix.EventHandler) mautrix.EventHandler
	// current is the recorder of the response being dispatched, for
	// callbacks that get no context (cryptohelper's decryption errors).
	current atomic.Pointer[recorder]
	// committed counts responses whose token was saved, so the run loop
	// can tell a loop that works from one that keeps failing.
	committed atomic.Int64
	failures  atomic.Int32
	work      context.Context
}

func newSyncer(log zerolog.Logger, obs observer) *syncer {
	return &syncer{DefaultSyncer: mautrix.NewDefaultSyncer(), log: log, obs: obs, work: context.Background()}
}

// OnEventType registers a handler, wrapping cryptohelper's handler for
// encrypted events in the gate.
func (s *syncer) OnEventType(t event.Type, cb mautrix.EventHandler) {
	if t == event.EventEncrypted && s.gate != nil {
		cb = s.gate(cb)
	}
	s.DefaultSyncer.OnEventType(t, cb)
}

// Dispatch notes which encrypted events decrypted during the dispatch, so
// that only the others are recorded as waiting for their key.
func (s *syncer) Dispatch(ctx context.Context, evt *event.Event) {
	if evt.Mautrix.EventSource&event.SourceDecrypted != 0 {
		if rec := recorderFrom(ctx); rec != nil {
			rec.markSettled(evt.ID)
		}
	}
	s.DefaultSyncer.Dispatch(ctx, evt)
}

// valuesFrom is a context with the deadline and cancellation of one and the
// values (sync token, logger, recorder) of another.
type valuesFrom struct {
	context.Context
	values context.Context
}

func (v valuesFrom) Value(key any) any { return v.values.Value(key) }

// shutdownGrace is how long the work under way may go on after shutdown
// began (a container gets SIGKILL soon after SIGTERM).
const shutdownGrace = 8 * time.Second

func (s *syncer) ProcessResponse(ctx context.Context, resp *mautrix.RespSync, since string) error {
	s.failures.Store(0)
	s.obs.syncOK()
	// Handlers get s.work rather than the sync's context: it outlives this
	// call, as it must, since cryptohelper decrypts an event whose key
	// comes late in a goroutine using this ctx.
	ctx = valuesFrom{Context: s.work, values: ctx}
	rec := &recorder{open: true}
	ctx = context.WithValue(s.log.WithContext(ctx), recorderKey{}, rec)
	s.current.Store(rec)
	err := s.DefaultSyncer.ProcessResponse(ctx, resp, since)
	s.current.Store(nil)
	if err != nil {
		// A handler panicked. Fetching the response again would panic
		// again, so log it and go on with what was recorded.
		s.log.Error().Err(err).Msg("Processing sync response failed")
	}
	if err := s.outbox.add(context.WithoutCancel(ctx), rec.close()); err != nil {
		s.store.drop()
		return err
	}
	if err := s.store.commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	s.committed.Add(1)
	return nil
}

// lateContext is the context for a callback that gets none: the work
// context, with the recorder of the response being dispatched, if any.
func (s *syncer) lateContext() context.Context {
	if rec := s.current.Load(); rec != nil {
		return context.WithValue(s.work, recorderKey{}, rec)
	}
	return s.work
}

// OnFailedSync waits 1 s, 2 s, 4 s … up to 60 s between failed syncs, and
// gives up only when the access token is no longer valid.
func (s *syncer) OnFailedSync(_ *mautrix.RespSync, err error) (time.Duration, error) {
	if errors.Is(err, mautrix.MUnknownToken) {
		return 0, err
	}
	n := s.failures.Add(1)
	s.obs.syncFailed(failureReason(err))
	wait := time.Second << min(n-1, 6)
	s.log.Warn().Err(err).Int32("failures", n).Dur("retry_in", wait).Msg("Sync failed")
	return min(wait, 60*time.Second), nil
}

type recorderKey struct{}

// recorder collects the jobs one sync response asks for while it is
// dispatched.
type recorder struct {
	mu      sync.Mutex
	open    bool
	jobs    []*job
	rooms   map[id.RoomID]int
	settled map[id.EventID]bool // encrypted events that decrypted or failed
}

// recorderFrom returns the open recorder in ctx, or nil.
func recorderFrom(ctx context.Context) *recorder {
	rec, _ := ctx.Value(recorderKey{}).(*recorder)
	if rec == nil {
		return nil
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.open {
		return nil
	}
	return rec
}

// add records j; false when the recorder closed meanwhile.
func (r *recorder) add(j *job) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.open {
		return false
	}
	r.jobs = append(r.jobs, j)
	if r.rooms == nil {
		r.rooms = map[id.RoomID]int{}
	}
	r.rooms[j.row.RoomID]++
	return true
}

func (r *recorder) count(room id.RoomID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rooms[room]
}

func (r *recorder) hasAnswer(cmd id.EventID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.row.Kind == kindAnswer && (j.row.EventID == cmd || j.row.Target == cmd.String()) {
			return true
		}
	}
	return false
}

func (r *recorder) markSettled(evt id.EventID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.settled == nil {
		r.settled = map[id.EventID]bool{}
	}
	r.settled[evt] = true
}

func (r *recorder) isSettled(evt id.EventID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settled[evt]
}

// close ends recording and returns the jobs.
func (r *recorder) close() []*job {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open = false
	return r.jobs
}
