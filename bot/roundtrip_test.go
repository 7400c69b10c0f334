package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

// The reply round trip (its budget: the README's Performance section) is judged against a trivial echo client on
// the same homeserver in the same run. Run both and compare:
//
//	go test -tags goolm -run '^$' -bench RoundTrip ./bot/
//
// p50 and p99 are reported in milliseconds beside ns/op.

func BenchmarkRoundTripBot(b *testing.B) {
	benchRoundTrip(b, func(tb testing.TB) id.UserID {
		bot := newTestBot(tb)
		bot.noFlood = true // the benchmark floods on purpose
		bot.start()
		return bot.userID
	})
}

func BenchmarkRoundTripEcho(b *testing.B) {
	benchRoundTrip(b, startEcho)
}

// startEcho runs a minimal mautrix client that answers every m.text with
// an m.notice reply: the floor the bot is compared with.
func startEcho(tb testing.TB) id.UserID {
	ctx := testContext(tb)
	name := bottest.UniqueName("echo")
	userID, err := hs.Register(ctx, name, testPassword)
	if err != nil {
		tb.Fatal(err)
	}
	cli, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		tb.Fatal(err)
	}
	cli.Log = testLogger(tb, name)
	if _, err := cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name},
		Password:   testPassword, StoreCredentials: true}); err != nil {
		tb.Fatal(err)
	}
	syncer := cli.Syncer.(*mautrix.DefaultSyncer)
	syncer.OnSync(cli.DontProcessOldEvents)
	syncer.OnEventType(event.StateMember, func(ctx context.Context, evt *event.Event) {
		if evt.GetStateKey() == cli.UserID.String() && evt.Mautrix.EventSource&event.SourceInvite != 0 {
			_, _ = cli.JoinRoomByID(ctx, evt.RoomID)
		}
	})
	syncer.OnEventType(event.EventMessage, func(ctx context.Context, evt *event.Event) {
		if evt.Sender == cli.UserID || evt.Content.AsMessage().MsgType != event.MsgText {
			return
		}
		c := &event.MessageEventContent{MsgType: event.MsgNotice, Body: "echo", Format: event.FormatHTML, FormattedBody: "echo"}
		c.SetReply(evt)
		_, _ = cli.SendMessageEvent(ctx, evt.RoomID, event.EventMessage, c)
	})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = cli.SyncWithContext(runCtx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return id.UserID(userID)
}

func benchRoundTrip(b *testing.B, start func(testing.TB) id.UserID) {
	if skipIntegration() {
		b.Skip("needs the homeserver")
	}
	responder := start(b)
	u := newTestUser(b, false)
	room := u.CreateRoom(responder, false, false)
	send := func() time.Duration {
		began := time.Now()
		u.WaitAnswer(responder, u.Say(room, "!help"))
		return time.Since(began)
	}
	for range 3 { // warm up
		send()
	}
	var took []time.Duration
	for b.Loop() {
		took = append(took, send())
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
