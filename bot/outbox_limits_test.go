package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/metrics"
)

// A room's queue is capped: past max_pending_per_room, new commands are
// dropped and counted, and the ones already waiting are done oldest first.
func TestOutboxCapPerRoom(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	o := testOutbox(t)
	o.maxPerRoom = 2
	o.obs = observer{m: m}
	release := make(chan struct{})
	done := make(chan id.EventID, 10)
	o.do = func(ctx context.Context, j *job) (id.EventID, error) {
		<-release
		done <- j.row.EventID
		return "", nil
	}
	b := &Bot{outbox: o, obs: o.obs, log: zerolog.Nop()}
	for _, evt := range []id.EventID{"$1", "$2", "$3", "$4", "$5"} {
		b.record(ctx, &job{row: &outboxRow{EventID: evt, RoomID: "!busy:x", Kind: kindAnswer}, received: time.Now()})
	}
	if n := counterValue(m.OutboxDropped); n != 3 {
		t.Errorf("dropped = %v, want 3", n)
	}
	close(release)
	for _, want := range []id.EventID{"$1", "$2"} {
		if got := <-done; got != want {
			t.Fatalf("done %s, want %s", got, want)
		}
	}
	o.close()
	if pending, err := o.table.pending(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending after the work = %v, %v (a dropped command left a row?)", pending, err)
	}
}

// /healthz turns unhealthy when sends have been failing, or work has been
// waiting, for longer than unhealthyAfter, and healthy again by itself once
// a send works or the queue drains.
func TestOutboxHealth(t *testing.T) {
	o := testOutbox(t)
	if ok, reason := o.healthy(); !ok {
		t.Fatalf("new outbox: %s", reason)
	}

	o.tryFailed("M_LIMIT_EXCEEDED")
	if ok, reason := o.healthy(); !ok {
		t.Errorf("unhealthy after one failure: %s", reason)
	}
	o.hmu.Lock()
	o.failingSince = time.Now().Add(-unhealthyAfter - time.Second)
	o.hmu.Unlock()
	if ok, reason := o.healthy(); ok || !strings.Contains(reason, "M_LIMIT_EXCEEDED") {
		t.Errorf("failing for longer than %s: ok=%v reason=%q, want unhealthy naming the error", unhealthyAfter, ok, reason)
	}
	o.tryOK()
	if ok, reason := o.healthy(); !ok {
		t.Errorf("after a send worked: %s", reason)
	}

	release := make(chan struct{})
	o.do = func(ctx context.Context, j *job) (id.EventID, error) { <-release; return "", nil }
	o.push(&job{row: &outboxRow{EventID: "$old", RoomID: "!r:x", Kind: kindAnswer}, received: time.Now().Add(-unhealthyAfter - time.Second)})
	if ok, reason := o.healthy(); ok || !strings.Contains(reason, "waiting") {
		t.Errorf("work waiting for longer than %s: ok=%v reason=%q", unhealthyAfter, ok, reason)
	}
	close(release)
	o.close()
	if ok, reason := o.healthy(); !ok {
		t.Errorf("after the queue drained: %s", reason)
	}
}

// An answer that fails for good is tried once, counted as failed and not
// left pending: it is not retried forever.
func TestOutboxPermanentFailure(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	o := testOutbox(t)
	o.obs = observer{m: m}
	tries := 0
	tried := make(chan struct{}, 10)
	o.do = func(ctx context.Context, j *job) (id.EventID, error) {
		tries++
		tried <- struct{}{}
		return "", errors.New("M_FORBIDDEN: not in the room")
	}
	if err := o.add(ctx, []*job{{row: &outboxRow{EventID: "$1", RoomID: "!r:x", Kind: kindAnswer, Seq: o.nextSeq()}, received: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	<-tried
	o.close() // waits for the job to end
	if tries != 1 {
		t.Errorf("tried %d times, want 1", tries)
	}
	if n := counterValue(m.OutboxFailed.WithLabelValues(string(kindAnswer))); n != 1 {
		t.Errorf("failed{answer} = %v, want 1", n)
	}
	if pending, err := o.table.pending(ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending = %v, %v; want none", pending, err)
	}
}
