package bot

import (
	"context"
	"testing"
	"time"

	"github.com/guidebot/guidebot/commands"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Restarts of the bot and of the homeserver: nothing answered twice,
// nothing sent meanwhile lost.

// restartScenario: answered before a restart → never again; sent while the
// bot is down → answered exactly once after it starts; sent after → answered.
func restartScenario(t *testing.T, encrypted bool, opts ...botOption) {
	if encrypted {
		opts = append(opts, withEncryption)
	}
	tb := newTestBot(t, opts...)
	tb.noFlood = true // five commands and a sentinel close together: not the flood limit's test
	tb.start()
	u := newTestUser(t, encrypted)
	room := u.CreateRoom(tb.userID, encrypted, false)
	want := expected(t, "!help", false).Plain

	before := u.Say(room, "!help")
	if got := u.WaitAnswer(tb.userID, before); got.Body != want {
		t.Errorf("answer before restart = %q", got.Body)
	}
	tb.stop()
	during := u.Say(room, "!help")
	time.Sleep(300 * time.Millisecond)
	tb.start()
	if got := u.WaitAnswer(tb.userID, during); got.Body != want {
		t.Errorf("answer to the command sent while down = %q, want %q", got.Body, want)
	}
	after := u.Say(room, "!help")
	if got := u.WaitAnswer(tb.userID, after); got.Body != want {
		t.Errorf("answer after restart = %q, want %q", got.Body, want)
	}
	// settings survive the restart too, per room
	if err := tb.bot.settings.set(context.Background(), room, commands.SettingPrefix.Key, "?"); err != nil {
		t.Fatal(err)
	}
	// a second restart must not replay anything either
	tb.stop()
	tb.start()
	if p := tb.bot.settings.get(room).Prefix; p != "?" {
		t.Errorf("prefix after restart = %q, want ?", p)
	}
	if err := tb.bot.settings.set(context.Background(), room, commands.SettingPrefix.Key, "!"); err != nil {
		t.Fatal(err)
	}
	last := u.Say(room, "!help")
	u.WaitAnswer(tb.userID, last)
	u.Sentinel(room, tb.userID, "!help") // a duplicate would come before its answer
	for name, evtID := range map[string]id.EventID{"before": before, "during": during, "after": after, "last": last} {
		if n := u.CountAnswers(room, tb.userID, evtID); n != 1 {
			t.Errorf("command %q answered %d times, want exactly once", name, n)
		}
	}
}

func TestRestartPlain(t *testing.T) {
	needHomeserver(t)
	restartScenario(t, false)
}

func TestRestartEncrypted(t *testing.T) {
	needHomeserver(t)
	restartScenario(t, true)
}

// TestRestartBusyRoom: more messages arrived while the bot was down than
// one sync returns (a limited timeline); the commands among them are all
// answered, once.
func TestRestartBusyRoom(t *testing.T) {
	needHomeserver(t)
	old := syncTimelineLimit
	syncTimelineLimit = 3
	t.Cleanup(func() { syncTimelineLimit = old })
	tb := newTestBot(t)
	tb.noFlood = true // six commands close together: not the flood limit's test
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)
	before := u.Say(room, "!help")
	u.WaitAnswer(tb.userID, before)

	tb.stop()
	// Notices fill the timeline without being commands (in a two-member
	// room any text is one).
	var cmds []id.EventID
	for range 4 {
		cmds = append(cmds, u.Say(room, "!help"))
		for range 2 {
			u.Send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "filler"})
		}
	}
	tb.start()
	for _, c := range cmds {
		u.WaitAnswer(tb.userID, c)
	}
	u.Sentinel(room, tb.userID, "!help") // a duplicate would come before its answer
	for i, c := range append([]id.EventID{before}, cmds...) {
		if n := u.CountAnswers(room, tb.userID, c); n != 1 {
			t.Errorf("command %d answered %d times, want once", i, n)
		}
	}
}

func TestHomeserverRestart(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	tb.start()
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))

	if err := hs.Restart(); err != nil {
		t.Fatal(err)
	}
	cmd := u.Say(room, "!help")
	u.WaitAnswer(tb.userID, cmd)
	select {
	case err := <-tb.done:
		t.Fatalf("bot stopped after the homeserver restarted: %v", err)
	default:
	}
}

// TestStartWhileHomeserverDown: a bot started while the homeserver is
// unreachable waits for it instead of exiting.
func TestStartWhileHomeserverDown(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	u := newTestUser(t, false)
	if err := hs.Stop(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = hs.Resume() // keep the other tests going
		}
	}()
	b, err := New(tb.cfg, tb.logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.transport = tokenSniffer{}
	ctx, cancel := context.WithCancel(context.Background())
	tb.bot, tb.cancel, tb.done = b, cancel, make(chan error, 1)
	go func() { tb.done <- b.Run(ctx) }()
	select {
	case err := <-tb.done:
		tb.cancel = nil
		t.Fatalf("bot gave up while the homeserver was down: %v", err)
	case <-time.After(3 * time.Second):
	}
	resumed = true
	if err := hs.Resume(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Ready():
	case err := <-tb.done:
		tb.cancel = nil
		t.Fatalf("bot stopped: %v", err)
	case <-time.After(2 * waitLong):
		t.Fatal("bot did not connect after the homeserver came back")
	}
	room := u.CreateRoom(tb.userID, false, false)
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))
}
