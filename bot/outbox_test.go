package bot

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"
)

func testOutbox(t *testing.T) *outbox {
	t.Helper()
	db, lock, err := openDatabase(context.Background(), config.DatabaseConfig{Type: "sqlite3", URI: filepath.Join(t.TempDir(), "o.db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(); lock.release() })
	return newOutbox(outboxTable{db}, zerolog.Nop(), observer{}, 50)
}

// A room whose work hangs does not hold up another room's, and a batch
// recorded twice (a sync fetched again) is done once.
func TestOutboxRoomsDoNotWait(t *testing.T) {
	ctx := context.Background()
	o := testOutbox(t)
	release := make(chan struct{})
	done := make(chan id.EventID, 10)
	o.do = func(ctx context.Context, j *job) (id.EventID, error) {
		if j.row.RoomID == "!busy:x" {
			<-release
		}
		done <- j.row.EventID
		return "$answer_" + j.row.EventID, nil
	}
	row := func(evt, room string) *job {
		return &job{row: &outboxRow{EventID: id.EventID(evt), RoomID: id.RoomID(room), Kind: kindAnswer, Seq: o.nextSeq()}, received: time.Now()}
	}
	batch := []*job{row("$b1", "!busy:x"), row("$q1", "!quiet:x"), row("$q2", "!quiet:x")}
	if err := o.add(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, want := range []id.EventID{"$q1", "$q2"} { // in order, while !busy hangs
		select {
		case got := <-done:
			if got != want {
				t.Fatalf("done %s, want %s", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the quiet room's %s waited for the busy room", want)
		}
	}
	close(release)
	if got := <-done; got != "$b1" {
		t.Fatalf("done %s, want $b1", got)
	}
	o.close()
	if pending, err := o.table.pending(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending after the work = %v, %v", pending, err)
	}
	// The same batch again: nothing new to do.
	again := []*job{row("$b1", "!busy:x"), row("$q1", "!quiet:x")}
	fresh, err := o.table.insert(ctx, []*outboxRow{again[0].row, again[1].row})
	if err != nil || len(fresh) != 0 {
		t.Fatalf("recording a batch again gave %d new rows (%v), want 0", len(fresh), err)
	}
	if ans, err := o.table.answerFor(ctx, "$q1"); err != nil || ans == nil || ans.AnswerID != "$answer_$q1" {
		t.Fatalf("answer of $q1 = %+v, %v", ans, err)
	}
}

// Work left pending (a crash) is resumed at the next start, oldest first,
// marked as resumed so that the room is searched before answering again.
func TestOutboxResume(t *testing.T) {
	ctx := context.Background()
	o := testOutbox(t)
	rows := []*outboxRow{
		{EventID: "$1", RoomID: "!r:x", Kind: kindAnswer, Seq: o.nextSeq()},
		{EventID: "$2", RoomID: "!r:x", Kind: kindAnswer, Seq: o.nextSeq()},
	}
	if _, err := o.table.insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got := make(chan *job, 2)
	o.do = func(_ context.Context, j *job) (id.EventID, error) { got <- j; return "", nil }
	if err := o.resume(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []id.EventID{"$1", "$2"} {
		j := <-got
		if j.row.EventID != want || !j.resumed {
			t.Fatalf("resumed %s (resumed=%v), want %s", j.row.EventID, j.resumed, want)
		}
	}
	o.close()
}
