package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// One Dendrite serves every integration test of the package; each test
// uses its own bot account, database and rooms.
var hs *bottest.Homeserver

// The integration tests run by default. They are skipped only when -short
// is given and GUIDEBOT_INTEGRATION is unset.
func skipIntegration() bool {
	return testing.Short() && os.Getenv("GUIDEBOT_INTEGRATION") == ""
}

func TestMain(m *testing.M) {
	flag.Parse()
	if err := runLog.open(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if skipIntegration() {
		os.Exit(auditLogs(m.Run()))
	}
	dir, err := os.MkdirTemp("", "guidebot-dendrite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hs, err = bottest.StartHomeserver(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration tests need Dendrite: %v\n(run with -short to skip them)\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := auditLogs(m.Run())
	_ = hs.Stop()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "dendrite log tail:\n%s\n", hs.LogTail(30))
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// auditLogs checks the bots' logs after the run (see logAudit) and turns a
// passing run into a failing one when they leak a secret or message text.
func auditLogs(code int) int {
	probs := runLog.finish(int(botsStarted.Load()))
	if len(probs) == 0 {
		return code
	}
	fmt.Fprintln(os.Stderr, "FAIL: the bots' logs leak what they must not (secrets, or message text at info level and above):")
	for _, p := range probs {
		fmt.Fprintln(os.Stderr, "  "+p)
	}
	return 1
}

// botsStarted counts the bots the harness started, so that an audit of an
// empty log (capture broken) does not pass.
var botsStarted atomic.Int64

func needHomeserver(t *testing.T) {
	t.Helper()
	if skipIntegration() {
		t.Skip("integration test: -short without GUIDEBOT_INTEGRATION")
	}
}

const (
	testPassword = "correct horse battery staple"
	waitLong     = 30 * time.Second // bounds every wait for the homeserver
	waitQuiet    = 2 * time.Second  // how long "nothing happens" is watched
)

var userSeq atomic.Int64

// uniqueName returns a fresh localpart: tests never share accounts.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1_000_000, userSeq.Add(1))
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLogger writes to the test log at debug level only with -v and
// GUIDEBOT_TEST_LOG set; otherwise warnings only.
func testLogger(t testing.TB, name string) zerolog.Logger {
	level := zerolog.WarnLevel
	if os.Getenv("GUIDEBOT_TEST_LOG") != "" {
		level = zerolog.DebugLevel
	}
	return zerolog.New(zerolog.NewTestWriter(t)).Level(level).With().Str("who", name).Timestamp().Logger()
}

// ---- the bot under test ----

type testBot struct {
	t         testing.TB
	userID    id.UserID
	cfg       *Config
	bot       *Bot
	metrics   *metrics.Metrics
	health    *metrics.Health
	opts      Options           // what start passes to New, besides metrics
	transport http.RoundTripper // the bot's HTTP transport, for fault injection
	logs      *logLines         // everything the bot logged, across restarts
	noFlood   bool              // lift the flood limit (benchmarks)
	cancel    context.CancelFunc
	done      chan error
}

type botOption func(*Config)

// withEncryption turns encryption on, with a pickle key of the bot's own
// (recorded as a secret the logs must not show).
func withEncryption(c *Config) {
	var key [16]byte
	_, _ = rand.Read(key[:])
	c.Encryption.Enabled, c.Encryption.PickleKey = true, "pickle-"+hex.EncodeToString(key[:])
}
func withInviters(p ...string) botOption { return func(c *Config) { c.Rooms.AllowedInviters = p } }

// newTestBot registers a bot account and returns its config; start() runs it.
func newTestBot(t testing.TB, opts ...botOption) *testBot {
	t.Helper()
	ctx := testContext(t)
	name := uniqueName("bot")
	userID, err := hs.Register(ctx, name, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Matrix.Homeserver = hs.URL
	cfg.Matrix.UserID = userID
	cfg.Matrix.Password = testPassword
	cfg.Database.URI = filepath.Join(t.TempDir(), "guidebot.db")
	if os.Getenv("GUIDEBOT_TEST_DATABASE") == "postgres" {
		// the whole suite on PostgreSQL, one fresh database per bot
		cfg.Database.Type, cfg.Database.URI = "postgres", freshDatabase(t, postgresServer(t))
	}
	cfg.Encryption.Enabled = false
	cfg.Rooms.AllowedInviters = []string{"*:" + bottest.ServerName}
	cfg.pos = map[string]Problem{}
	for _, o := range opts {
		o(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	recordConfigSecrets(cfg)
	tb := &testBot{t: t, userID: id.UserID(userID), cfg: cfg}
	t.Cleanup(tb.stop)
	return tb
}

// start runs the bot until stop, and waits for its first sync.
func (tb *testBot) start() {
	tb.t.Helper()
	tb.metrics, tb.health = metrics.New(), metrics.NewHealth()
	opts := tb.opts
	opts.Metrics, opts.Health = tb.metrics, tb.health
	recordConfigSecrets(tb.cfg) // the test may have changed them
	b, err := New(tb.cfg, tb.logger(), opts)
	if err != nil {
		tb.t.Fatal(err)
	}
	b.transport = tokenSniffer{tb.transport}
	if tb.noFlood {
		b.flood = newFloodLimiter(1<<30, time.Second)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb.bot, tb.cancel, tb.done = b, cancel, make(chan error, 1)
	go func() { tb.done <- b.Run(ctx) }()
	select {
	case <-b.Ready():
	case err := <-tb.done:
		tb.cancel = nil
		tb.t.Fatalf("bot stopped before its first sync: %v", err)
	case <-time.After(waitLong):
		tb.t.Fatal("bot did not complete its first sync in time")
	}
}

// stop cancels the bot and waits for Run to return.
func (tb *testBot) stop() {
	if tb.cancel == nil {
		return
	}
	tb.cancel()
	tb.cancel = nil
	select {
	case err := <-tb.done:
		if err != nil {
			tb.t.Errorf("bot.Run returned %v", err)
		}
	case <-time.After(waitLong):
		tb.t.Error("bot did not stop in time")
	}
}

// ---- users talking to the bot ----

// testUser is a mautrix client with its own account (and, for encrypted
// rooms, its own crypto store) that records every message it receives.
type testUser struct {
	t      testing.TB
	client *mautrix.Client
	crypto *cryptohelper.CryptoHelper

	mu     sync.Mutex
	events []*event.Event // m.room.message events, decrypted when possible
	cond   chan struct{}  // closed and replaced on every new event
}

func newTestUser(t testing.TB, encrypted bool) *testUser {
	t.Helper()
	ctx := testContext(t)
	name := uniqueName("user")
	if _, err := hs.Register(ctx, name, testPassword); err != nil {
		t.Fatal(err)
	}
	cli, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	cli.Log = testLogger(t, name)
	cli.Client.Transport = tokenSniffer{}
	u := &testUser{t: t, client: cli, cond: make(chan struct{})}
	login := &mautrix.ReqLogin{
		Type:             mautrix.AuthTypePassword,
		Identifier:       mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name},
		Password:         testPassword,
		StoreCredentials: true,
	}
	if encrypted {
		ch, err := cryptohelper.NewCryptoHelper(cli, []byte("user pickle key"), filepath.Join(t.TempDir(), "user.db"))
		if err != nil {
			t.Fatal(err)
		}
		ch.LoginAs = login
		if err := ch.Init(ctx); err != nil {
			t.Fatal(err)
		}
		cli.Crypto = ch
		u.crypto = ch
	} else if _, err := cli.Login(ctx, login); err != nil {
		t.Fatal(err)
	}
	syncer := cli.Syncer.(*mautrix.DefaultSyncer)
	if u.crypto == nil {
		cli.StateStore = mautrix.NewMemoryStateStore()
		syncer.OnEvent(cli.StateStoreSyncHandler)
	}
	syncer.OnEventType(event.EventMessage, func(_ context.Context, evt *event.Event) {
		u.mu.Lock()
		u.events = append(u.events, evt)
		close(u.cond)
		u.cond = make(chan struct{})
		u.mu.Unlock()
	})
	syncCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// like the bot, keep syncing through homeserver restarts
		for syncCtx.Err() == nil {
			_ = cli.SyncWithContext(syncCtx)
			select {
			case <-syncCtx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if u.crypto != nil {
			_ = u.crypto.Close()
		}
	})
	return u
}

// waitEvent waits for a received message matching pred.
func (u *testUser) waitEvent(what string, timeout time.Duration, pred func(*event.Event) bool) *event.Event {
	u.t.Helper()
	deadline := time.After(timeout)
	seen := 0
	for {
		u.mu.Lock()
		evts, cond := u.events, u.cond
		u.mu.Unlock()
		for _, evt := range evts[seen:] {
			if pred(evt) {
				return evt
			}
		}
		seen = len(evts)
		select {
		case <-cond:
		case <-deadline:
			u.t.Fatalf("timed out after %s waiting for %s", timeout, what)
			return nil
		}
	}
}

// answers returns the bot's answers to eventID received so far.
func (u *testUser) answers(bot id.UserID, eventID id.EventID) []*event.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*event.Event
	for _, evt := range u.events {
		if evt.Sender == bot && evt.Content.AsMessage().RelatesTo.GetReplyTo() == eventID {
			out = append(out, evt)
		}
	}
	return out
}

// waitAnswer waits for the bot's answer to eventID and checks it is a
// readable (decrypted) m.notice with plain and HTML bodies.
func (u *testUser) waitAnswer(bot id.UserID, eventID id.EventID) *event.MessageEventContent {
	u.t.Helper()
	evt := u.waitEvent("the answer to "+eventID.String(), waitLong, func(evt *event.Event) bool {
		return evt.Sender == bot && evt.Content.AsMessage().RelatesTo.GetReplyTo() == eventID
	})
	msg := evt.Content.AsMessage()
	if msg.MsgType != event.MsgNotice {
		u.t.Errorf("answer msgtype = %q, want m.notice", msg.MsgType)
	}
	if msg.Body == "" || msg.FormattedBody == "" || msg.Format != event.FormatHTML {
		u.t.Errorf("answer lacks a plain or HTML body: %+v", msg)
	}
	return msg
}

// send sends a text message and returns its ID.
func (u *testUser) send(room id.RoomID, c *event.MessageEventContent) id.EventID {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := u.client.SendMessageEvent(ctx, room, event.EventMessage, c)
	if err != nil {
		u.t.Fatalf("sending %q: %v", c.Body, err)
	}
	return resp.EventID
}

func (u *testUser) say(room id.RoomID, text string) id.EventID {
	u.t.Helper()
	return u.send(room, &event.MessageEventContent{MsgType: event.MsgText, Body: text})
}

// createRoom creates a room inviting the bot and waits until the bot has
// joined and this user's client has seen the join (needed to share keys).
func (u *testUser) createRoom(bot id.UserID, encrypted, direct bool, others ...id.UserID) id.RoomID {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	req := &mautrix.ReqCreateRoom{
		Preset:   "private_chat",
		Invite:   append([]id.UserID{bot}, others...),
		IsDirect: direct,
	}
	if encrypted {
		req.InitialState = []*event.Event{{
			Type:    event.StateEncryption,
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}},
		}}
	}
	resp, err := u.client.CreateRoom(ctx, req)
	if err != nil {
		u.t.Fatal(err)
	}
	u.waitMembership(resp.RoomID, bot, event.MembershipJoin)
	return resp.RoomID
}

// waitMembership waits until the user's own state store shows member with
// the given membership. Dendrite 0.13 now and then leaves an event out of
// a sync stream under concurrent writes; when the server already has the
// membership but the store does not after a few seconds, the member list
// is fetched again (as a real client would after a gap).
func (u *testUser) waitMembership(room id.RoomID, member id.UserID, want event.Membership) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	refetch := time.Now().Add(5 * time.Second)
	for {
		if time.Now().After(refetch) {
			refetch = time.Now().Add(5 * time.Second)
			var mem event.MemberEventContent
			if err := u.client.StateEvent(ctx, room, event.StateMember, member.String(), &mem); err == nil && mem.Membership == want {
				u.t.Logf("membership of %s seen on the server but not in the sync stream; refetching members", member)
				_, _ = u.client.Members(ctx, room)
			}
		}
		var m event.Membership
		if mem, _ := u.client.StateStore.TryGetMember(ctx, room, member); mem != nil {
			m = mem.Membership
		}
		if m == want {
			return
		}
		select {
		case <-ctx.Done():
			u.t.Fatalf("timed out waiting for %s to be %s in %s (is %q)", member, want, room, m)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// countAnswers counts, from the room's history on the server, the bot's
// answers to eventID: the authority for "exactly once".
func (u *testUser) countAnswers(room id.RoomID, bot id.UserID, eventID id.EventID) int {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := u.client.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 1000)
	if err != nil {
		u.t.Fatal(err)
	}
	n := 0
	for _, evt := range resp.Chunk {
		if evt.Sender != bot {
			continue
		}
		// m.relates_to stays in cleartext on encrypted events too.
		rel, _ := evt.Content.Raw["m.relates_to"].(map[string]any)
		inReply, _ := rel["m.in_reply_to"].(map[string]any)
		if inReply["event_id"] == eventID.String() {
			n++
		}
	}
	return n
}

// expected computes, in process, the answer the engine gives for text in a
// room with default settings: the tests then hold whatever engine is wired.
func expected(t testing.TB, text string, direct bool) commands.Reply {
	t.Helper()
	e := commands.New(content.Builtin())
	r, ok := e.Handle(context.Background(), commands.Request{
		Text: text, Room: &fakeRoom{s: commands.Settings{Language: content.EN, Prefix: "!", Replies: "thread"}},
		Direct: direct, BotNames: []string{"guidebot"},
	})
	if !ok {
		t.Fatalf("the engine does not answer %q", text)
	}
	return r
}

type fakeRoom struct{ s commands.Settings }

func (r *fakeRoom) Settings() commands.Settings { return r.s }
func (r *fakeRoom) MayChangeSettings(context.Context) (bool, int, error) {
	return true, 0, nil
}
func (r *fakeRoom) SetSetting(context.Context, string, string) error { return nil }
