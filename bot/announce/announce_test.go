package announce

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	_ "go.mau.fi/util/dbutil/litestream"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

func day(s string) content.Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return content.Date{Time: t}
}

// logOf builds a content set whose change log is the given "id@date" entries.
func logOf(entries ...string) *content.Set {
	set := &content.Set{}
	for _, e := range entries {
		id, date, _ := strings.Cut(e, "@")
		set.Changes = append(set.Changes, &content.Change{ID: id, Date: day(date),
			Text: content.Text{EN: "change " + id, FR: "changement " + id}})
	}
	return set // newest first, as the loader sorts it
}

func ids(cs []*content.Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.ID)
	}
	return strings.Join(s, ",")
}

func TestPending(t *testing.T) {
	set := logOf("e@2025-05-16", "d@2025-05-10", "c@2024-10-24", "b@2024-08-25", "a@2023-02-16")
	tests := []struct {
		name string
		p    Progress
		upTo string
		want string
	}{
		{"up to date", Progress{LastID: "e", LastDate: day("2025-05-16")}, "", ""},
		{"two behind", Progress{LastID: "c", LastDate: day("2024-10-24")}, "", "e,d"},
		{"from the start", Progress{LastID: "a", LastDate: day("2023-02-16")}, "", "e,d,c,b"},
		{"pending range only", Progress{LastID: "b", LastDate: day("2024-08-25")}, "d", "d,c"},
		{"last entry removed: placed by date", Progress{LastID: "gone", LastDate: day("2024-09-01")}, "", "e,d,c"},
		{"last entry removed, nothing newer", Progress{LastID: "gone", LastDate: day("2026-01-01")}, "", ""},
		{"subscribed while the log was empty", Progress{}, "", "e,d,c,b,a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(Pending(set, tt.p, tt.upTo)); got != tt.want {
				t.Errorf("Pending = %q, want %q", got, tt.want)
			}
		})
	}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	db, err := dbutil.NewWithDialect(filepath.Join(t.TempDir(), "announce.db"), "sqlite3-fk-wal")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := NewStore(context.Background(), db, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sent is what a fake homeserver received: it keeps the transaction ids, as
// a real one does, and drops a repeated one.
type fakeSender struct {
	txns   map[string]bool
	bodies []string // room|body of each delivered message
	fail   map[string]error
	crash  bool // fail after "delivering", like a crash before the answer
}

func (f *fakeSender) SendAnnouncement(_ context.Context, roomID, txnID string, r commands.Reply) error {
	if err := f.fail[roomID]; err != nil {
		return err
	}
	if !f.txns[txnID] {
		f.txns[txnID] = true
		f.bodies = append(f.bodies, roomID+"|"+r.Plain)
	}
	if f.crash {
		return errors.New("connection reset")
	}
	return nil
}

func TestAnnouncerExactlyOnce(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	old := logOf("b@2024-08-25", "a@2023-02-16")
	for _, room := range []string{"!en", "!fr", "!left"} {
		if err := store.Start(ctx, room, old); err != nil {
			t.Fatal(err)
		}
	}
	sender := &fakeSender{txns: map[string]bool{}, fail: map[string]error{"!left": errors.New("M_FORBIDDEN: not in room")}}
	a := &Announcer{Store: store, Sender: sender, Log: zerolog.Nop(),
		Rooms: func(context.Context) ([]Room, error) {
			return []Room{{"!en", content.EN}, {"!left", content.EN}, {"!fr", content.FR}}, nil
		}}

	// Nothing new since they subscribed: nothing sent.
	if sent, failed, err := a.Run(ctx, old); sent != 0 || failed != 0 || err != nil {
		t.Fatalf("Run(old) = %d, %d, %v; want nothing", sent, failed, err)
	}

	// A new entry: each room once, in its language; the failing room does
	// not stop the others.
	set := logOf("c@2025-05-16", "b@2024-08-25", "a@2023-02-16")
	sent, failed, err := a.Run(ctx, set)
	if sent != 2 || failed != 1 || err != nil {
		t.Fatalf("Run = %d sent, %d failed, %v; want 2, 1, nil", sent, failed, err)
	}
	if len(sender.bodies) != 2 || !strings.HasPrefix(sender.bodies[0], "!en|") || !strings.HasPrefix(sender.bodies[1], "!fr|") {
		t.Fatalf("delivered %q", sender.bodies)
	}
	if !strings.Contains(sender.bodies[0], "change c") || !strings.Contains(sender.bodies[1], "changement c") {
		t.Errorf("announcements not in the rooms' languages: %q", sender.bodies)
	}
	if strings.Contains(sender.bodies[0], "change b") {
		t.Errorf("old entry announced again: %q", sender.bodies[0])
	}

	// Again, as after a restart: nothing more.
	if sent, _, _ := a.Run(ctx, set); sent != 0 || len(sender.bodies) != 2 {
		t.Fatalf("second run sent %d (%q)", sent, sender.bodies)
	}

	// The room that failed gets its announcement once it works again.
	delete(sender.fail, "!left")
	if sent, _, _ := a.Run(ctx, set); sent != 1 || len(sender.bodies) != 3 {
		t.Fatalf("retry sent %d (%q)", sent, sender.bodies)
	}
}

func TestAnnouncerCrashMidSend(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	old := logOf("a@2023-02-16")
	if err := store.Start(ctx, "!r", old); err != nil {
		t.Fatal(err)
	}
	sender := &fakeSender{txns: map[string]bool{}, crash: true}
	a := &Announcer{Store: store, Sender: sender, Log: zerolog.Nop(),
		Rooms: func(context.Context) ([]Room, error) { return []Room{{"!r", content.EN}}, nil }}
	set := logOf("b@2024-08-25", "a@2023-02-16")

	// The homeserver got the message, but the bot never heard back.
	if _, failed, _ := a.Run(ctx, set); failed != 1 {
		t.Fatalf("want the send to look failed")
	}
	if p, _, _ := store.Get(ctx, "!r"); p.PendingID != "b" || p.LastID != "a" {
		t.Fatalf("progress after crash = %+v, want pending b, last a", p)
	}
	// Next run retries with the same transaction id: no second message.
	sender.crash = false
	if _, failed, err := a.Run(ctx, set); failed != 0 || err != nil {
		t.Fatalf("retry failed: %d %v", failed, err)
	}
	if len(sender.bodies) != 1 {
		t.Fatalf("delivered %d messages, want 1: %q", len(sender.bodies), sender.bodies)
	}
	if p, _, _ := store.Get(ctx, "!r"); p.PendingID != "" || p.LastID != "b" {
		t.Fatalf("progress after retry = %+v, want last b", p)
	}
}

func TestStartSkipsBacklog(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	set := logOf("c@2025-05-16", "b@2024-08-25")
	if err := store.Start(ctx, "!new", set); err != nil {
		t.Fatal(err)
	}
	p, ok, err := store.Get(ctx, "!new")
	if err != nil || !ok || p.LastID != "c" || p.LastDate.String() != "2025-05-16" {
		t.Fatalf("Get = %+v, %v, %v", p, ok, err)
	}
	if got := Pending(set, p, ""); len(got) != 0 {
		t.Errorf("a new subscriber has pending %q", ids(got))
	}
	if _, ok, _ := store.Get(ctx, "!never"); ok {
		t.Error("Get(never subscribed) reported a row")
	}
}

func TestRefreshRefusesBadContent(t *testing.T) {
	used := 0
	a := &Announcer{Log: zerolog.Nop(), Rooms: func(context.Context) ([]Room, error) {
		t.Fatal("announced despite bad content")
		return nil, nil
	}}
	err := a.Refresh(context.Background(), func() (*content.Set, error) {
		return nil, errors.New("changes.yaml:3:7: date: not a date")
	}, func(*content.Set) { used++ })
	if err == nil || !strings.Contains(err.Error(), "changes.yaml:3:7") || used != 0 {
		t.Errorf("Refresh(bad) = %v, used %d times", err, used)
	}
}
