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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/bot/metrics"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// Helpers the package's tests share: the homeserver they all use, the bot
// in process and as a process of its own, the test users, the answers
// expected, and the checks of "exactly once".

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
	testPassword = bottest.Password
	waitLong     = bottest.WaitLong // bounds every wait for the homeserver
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLogger writes to the test log at debug level only with -v and
// GUIDEBOT_TEST_LOG set; otherwise warnings only.
func testLogger(t testing.TB, name string) zerolog.Logger {
	return baseLogger(t).With().Str("who", name).Logger()
}

func baseLogger(t testing.TB) zerolog.Logger {
	level := zerolog.WarnLevel
	if os.Getenv("GUIDEBOT_TEST_LOG") != "" {
		level = zerolog.DebugLevel
	}
	return zerolog.New(zerolog.NewTestWriter(t)).Level(level).With().Timestamp().Logger()
}

// ---- the bot under test, in process ----

type testBot struct {
	t         testing.TB
	userID    id.UserID
	cfg       *config.Config
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

type botOption func(*config.Config)

// withEncryption turns encryption on, with a pickle key of the bot's own
// (recorded as a secret the logs must not show).
func withEncryption(c *config.Config) {
	var key [16]byte
	_, _ = rand.Read(key[:])
	c.Encryption.Enabled, c.Encryption.PickleKey = true, "pickle-"+hex.EncodeToString(key[:])
}

func withInviters(p ...string) botOption {
	return func(c *config.Config) { c.Rooms.AllowedInviters = p }
}

// newTestBot registers a bot account and returns its config; start() runs it.
func newTestBot(t testing.TB, opts ...botOption) *testBot {
	t.Helper()
	ctx := testContext(t)
	name := bottest.UniqueName("bot")
	userID, err := hs.Register(ctx, name, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultConfig()
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

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

// ---- the real guidebot binary as a subprocess ----

// guidebotBinary is ./cmd/guidebot, built once per test binary: next to
// the test binary when that lives in go test's work directory (removed
// after the run), else in a temporary directory.
var guidebotBinary = sync.OnceValues(func() (string, error) {
	dir := filepath.Dir(os.Args[0])
	if !strings.Contains(dir, "go-build") {
		var err error
		if dir, err = os.MkdirTemp("", "guidebot-bin-"); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "guidebot-under-test")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	if err := bottest.BuildGuidebot(ctx, path, nil); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "built %s in %s\n", path, time.Since(start).Round(time.Millisecond))
	return path, nil
})

// newProcBot registers an account and prepares the real binary to run on
// it as its own process (so that it can be killed for real): encryption
// on, SQLite in the test's directory, password login, debug log. The test
// starts it with startProcBot; it is stopped when the test ends.
func newProcBot(t testing.TB, homeserver string) *bottest.Bot {
	t.Helper()
	bin, err := guidebotBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	userID, err := hs.Register(ctx, bottest.UniqueName("procbot"), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bottest.NewBot(bin, t.TempDir(), bottest.BotConfig{
		Homeserver: homeserver, UserID: userID, Password: testPassword, Encrypted: true,
		DeviceName: "guidebot-fault-test", LogLevel: "debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("stopping guidebot: %v", err)
		}
	})
	return b
}

// startProcBot starts the process and waits until /healthz reports a sync.
func startProcBot(t testing.TB, b *bottest.Bot) {
	t.Helper()
	if err := b.StartHealthy(waitLong); err != nil {
		t.Fatal(err)
	}
}

// auditProcLog checks the process's log like the harness checks the
// in-process bots' (a log never shows a secret): no password, pickle key
// or access token (tokens lists those seen on the wire) in any line.
func auditProcLog(t testing.TB, b *bottest.Bot, tokens []string) {
	t.Helper()
	secrets := map[string]string{testPassword: "the password", b.Config.PickleKey: "the pickle key"}
	for _, tok := range tokens {
		secrets[tok] = "an access token"
	}
	f, err := os.Open(b.LogPath)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	probs, err := scanLogs(f, secrets, nil)
	if err != nil {
		t.Error(err)
	}
	for _, prob := range probs {
		t.Errorf("guidebot's own log: %s", prob)
	}
}

// ---- users talking to the bot ----

// testUser is a bottest.User on the package's homeserver, its requests
// seen by tokenSniffer (the log audit learns its access token), with the
// checks these tests share.
type testUser struct{ *bottest.User }

func newTestUser(t testing.TB, encrypted bool) *testUser {
	t.Helper()
	log := baseLogger(t)
	return &testUser{bottest.NewUser(t, hs, bottest.UserOptions{Encrypted: encrypted, Transport: tokenSniffer{}, Log: &log})}
}

// waitBody waits for a message from bot in room with exactly this body,
// received after mark.
func (u *testUser) waitBody(mark int, bot id.UserID, room id.RoomID, body string) *event.Event {
	u.T.Helper()
	short := body
	if i := strings.IndexByte(short, '\n'); i >= 0 {
		short = short[:i] + " …"
	}
	return u.WaitSince(mark, "the answer "+short, waitLong, func(evt *event.Event) bool {
		return evt.Sender == bot && evt.RoomID == room && evt.Content.AsMessage().Body == body
	})
}

// checkAnswer sends text as u in room, waits for the reply and checks it
// is want.
func (u *testUser) checkAnswer(bot id.UserID, room id.RoomID, text string, want commands.Reply) *event.MessageEventContent {
	u.T.Helper()
	got := u.WaitAnswer(bot, u.Say(room, text))
	if got.Body != want.Plain || got.FormattedBody != want.HTML {
		u.T.Errorf("answer to %q differs from the expected one: %s", text, firstDiff(got.Body, want.Plain))
	}
	return got
}

// firstDiff shows where two answers part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is\n\t%q\nwant\n\t%q", i+1, gl, wl)
		}
	}
	return "(same text, different HTML)"
}

// groupRoom is a room of owner, member and the bot: not a direct message,
// so the prefix is needed and power levels count.
func groupRoom(t *testing.T, bot id.UserID, owner, member *testUser) id.RoomID {
	t.Helper()
	room := owner.CreateRoom(bot, false, false, member.Client.UserID)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := member.Client.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	owner.WaitMembership(room, member.Client.UserID, event.MembershipJoin)
	member.WaitMembership(room, bot, event.MembershipJoin)
	return room
}

// joinAll makes each user join each room (they were invited) and waits
// until every user sees every other member, the bot included, joined.
func joinAll(t *testing.T, bot id.UserID, rooms []id.RoomID, users ...*testUser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	for _, room := range rooms {
		for _, u := range users[1:] {
			if _, err := u.Client.JoinRoomByID(ctx, room); err != nil {
				t.Fatalf("%s joining %s: %v", u.Client.UserID, room, err)
			}
		}
	}
	for _, room := range rooms {
		for _, u := range users {
			u.WaitMembership(room, bot, event.MembershipJoin)
			for _, other := range users {
				u.WaitMembership(room, other.Client.UserID, event.MembershipJoin)
			}
		}
	}
}

// ---- the answers expected, computed in process ----

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

// chatRoom is the engine's view of a room in tests that compute the answer
// a chat command should get: settings, and whether the sender may change
// them (power level 50 needed).
type chatRoom struct {
	s   commands.Settings
	may bool
}

func (r *chatRoom) Settings() commands.Settings { return r.s }

func (r *chatRoom) MayChangeSettings(context.Context) (bool, int, error) {
	return r.may, 50, nil
}

func (r *chatRoom) SetSetting(_ context.Context, key, value string) error {
	return r.s.Apply(key, value)
}

// roomSettings are a room's settings with the test bot's defaults and the
// given changes.
func roomSettings(t testing.TB, kv ...string) commands.Settings {
	t.Helper()
	s := commands.DefaultSettings(content.EN, "!")
	for i := 0; i+1 < len(kv); i += 2 {
		if err := s.Apply(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// expectIn is the answer the engine gives to text in a room with settings
// s, computed in process.
func expectIn(t testing.TB, text string, s commands.Settings, may, direct bool) commands.Reply {
	t.Helper()
	r, ok := commands.New(content.Builtin()).Handle(context.Background(), commands.Request{
		Text: text, Room: &chatRoom{s: s, may: may}, Direct: direct, BotNames: []string{"guidebot"},
	})
	if !ok {
		t.Fatalf("the engine does not answer %q", text)
	}
	return r
}

// ---- exactly once, within a deadline ----

// faultCommands are the commands the bursts cycle through: a few kinds, so
// that an answer given to the wrong command shows.
var faultCommands = []string{
	"!help", "!messenger signal", "!compare signal molly", "!networks", "!criteria", "!messengers",
}

// sentCmd is one command sent during a fault test.
type sentCmd struct {
	user  *testUser
	room  id.RoomID
	text  string
	id    id.EventID
	phase string
}

// awaitReplies waits until observer has received a reply to every command
// or until deadline, and returns the commands still unanswered.
func awaitReplies(observer *testUser, bot id.UserID, cmds []sentCmd, deadline time.Time) []sentCmd {
	for {
		changed := observer.Changed()
		var missing []sentCmd
		for _, c := range cmds {
			if observer.FirstAnswer(bot, c.id) == nil {
				missing = append(missing, c)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-time.After(time.Until(deadline)):
			return missing
		}
	}
}

// checkExactlyOnce waits for the answers; then, in each room, has checker
// send a sentinel command and waits for its reply (the bot answers a room
// in order, so a duplicate it would still send there comes before), and
// reads the room's history on the server: every command must have exactly
// one reply. On observer (a member of every room) the reply must be the
// expected answer and, in encrypted rooms, decrypted. It returns the
// commands with no reply at all.
func checkExactlyOnce(t *testing.T, observer, checker *testUser, bot id.UserID, cmds []sentCmd, encrypted map[id.RoomID]bool, deadline time.Time) (lost []sentCmd) {
	t.Helper()
	missing := awaitReplies(observer, bot, cmds, deadline)
	if len(missing) > 0 {
		t.Logf("%d of %d commands have no reply at the deadline", len(missing), len(cmds))
	}
	perRoom := map[id.RoomID]map[id.EventID]int{}
	for _, c := range cmds {
		if perRoom[c.room] == nil {
			checker.Sentinel(c.room, bot, "!help")
			perRoom[c.room] = observer.ReplyCounts(c.room, bot)
		}
	}
	for i, c := range cmds {
		n := perRoom[c.room][c.id]
		if n != 1 {
			t.Errorf("command #%d %q (%s, %s, %s) answered %d times, want exactly once", i, c.text, c.phase, c.room, c.id, n)
		}
		if n == 0 {
			lost = append(lost, c)
			continue
		}
		evt := observer.FirstAnswer(bot, c.id)
		if evt == nil {
			t.Errorf("command #%d %q: the reply is on the server but %s never received it", i, c.text, observer.Client.UserID)
			continue
		}
		msg := evt.Content.AsMessage()
		if encrypted[c.room] && evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
			t.Errorf("command #%d %q: the reply in the encrypted room did not decrypt (type %s)", i, c.text, evt.Type)
			continue
		}
		if want := expected(t, c.text, false); msg.Body != want.Plain {
			t.Errorf("command #%d %q: reply = %.80q…, want %.80q…", i, c.text, msg.Body, want.Plain)
		}
	}
	return lost
}

// testDeadline is when a test must be over; checkDeadline (deferred)
// fails it if it ran longer. Every wait inside is bounded by it or by less.
func testDeadline(t *testing.T, d time.Duration) time.Time {
	t.Logf("deadline: %s", d)
	return time.Now().Add(d)
}

func checkDeadline(t *testing.T, deadline time.Time) {
	if late := time.Since(deadline); late > 0 {
		t.Errorf("the test ran %s past its deadline", late.Round(time.Millisecond))
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
