package bot

// Fault tests (issue 7): the bot killed with SIGKILL in the middle of a
// burst, a homeserver behind a proxy that rate-limits and fails, and
// hostile messages. Each test has an explicit deadline and every wait is
// bounded. Run them alone with
//
//	go test -tags goolm -run 'TestFault' -v ./bot/

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

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

// sendRaw sends any content (a struct or a raw map) without failing the
// test, so that it can be used from goroutines.
func sendRaw(u *testUser, room id.RoomID, content any) (id.EventID, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	resp, err := u.client.SendMessageEvent(ctx, room, event.EventMessage, content)
	if err != nil {
		return "", err
	}
	return resp.EventID, nil
}

func textMsg(s string) *event.MessageEventContent {
	return &event.MessageEventContent{MsgType: event.MsgText, Body: s}
}

// replyCounts reads a room's whole history from the server (the authority
// for "exactly once") and counts the bot's replies per replied-to event.
// m.relates_to stays in cleartext on encrypted events.
func replyCounts(t testing.TB, u *testUser, room id.RoomID, bot id.UserID) map[id.EventID]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	counts := map[id.EventID]int{}
	from := ""
	for page := 0; page < 50; page++ {
		resp, err := u.client.Messages(ctx, room, from, "", mautrix.DirectionBackward, nil, 100)
		if err != nil {
			t.Fatalf("reading the history of %s: %v", room, err)
		}
		for _, evt := range resp.Chunk {
			if evt.Sender != bot {
				continue
			}
			rel, _ := evt.Content.Raw["m.relates_to"].(map[string]any)
			inReply, _ := rel["m.in_reply_to"].(map[string]any)
			if to, _ := inReply["event_id"].(string); to != "" {
				counts[id.EventID(to)]++
			}
		}
		if resp.End == "" || resp.End == from || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	return counts
}

// replyIn returns the first reply by bot to cmd that u received.
func replyIn(u *testUser, bot id.UserID, cmd id.EventID) *event.Event {
	if evts := u.answers(bot, cmd); len(evts) > 0 {
		return evts[0]
	}
	return nil
}

// awaitReplies waits until observer has received a reply to every command
// or until deadline, and returns the commands still unanswered.
func awaitReplies(observer *testUser, bot id.UserID, cmds []sentCmd, deadline time.Time) []sentCmd {
	for {
		observer.mu.Lock()
		cond := observer.cond
		observer.mu.Unlock()
		var missing []sentCmd
		for _, c := range cmds {
			if replyIn(observer, bot, c.id) == nil {
				missing = append(missing, c)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-cond:
		case <-time.After(time.Until(deadline)):
			return missing
		}
	}
}

// checkExactlyOnce waits for the answers, watches a little longer for
// duplicates, then checks on the server that every command has exactly one
// reply, and on observer (a member of every room) that the reply is the
// expected answer and, in encrypted rooms, that it decrypted. It returns
// the commands with no reply at all.
func checkExactlyOnce(t *testing.T, observer *testUser, bot id.UserID, cmds []sentCmd, encrypted map[id.RoomID]bool, deadline time.Time) (lost []sentCmd) {
	t.Helper()
	missing := awaitReplies(observer, bot, cmds, deadline)
	if len(missing) > 0 {
		t.Logf("%d of %d commands have no reply at the deadline", len(missing), len(cmds))
	}
	time.Sleep(waitQuiet) // a duplicate would come now
	perRoom := map[id.RoomID]map[id.EventID]int{}
	for _, c := range cmds {
		if perRoom[c.room] == nil {
			perRoom[c.room] = replyCounts(t, observer, c.room, bot)
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
		evt := replyIn(observer, bot, c.id)
		if evt == nil {
			t.Errorf("command #%d %q: the reply is on the server but %s never received it", i, c.text, observer.client.UserID)
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

// joinAll makes each user join each room (they were invited) and waits
// until every user sees every other member, the bot included, joined.
func joinAll(t *testing.T, bot id.UserID, rooms []id.RoomID, users ...*testUser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	for _, room := range rooms {
		for _, u := range users[1:] {
			if _, err := u.client.JoinRoomByID(ctx, room); err != nil {
				t.Fatalf("%s joining %s: %v", u.client.UserID, room, err)
			}
		}
	}
	for _, room := range rooms {
		for _, u := range users {
			u.waitMembership(room, bot, event.MembershipJoin)
			for _, other := range users {
				u.waitMembership(room, other.client.UserID, event.MembershipJoin)
			}
		}
	}
}

// ---- 1. kill -9 in the middle of a burst ----

// TestFaultKillMidBurst runs the real binary, and while three users send a
// burst of commands into three rooms (one encrypted) it kills the process
// with SIGKILL at one of the two worst moments, while one of its answers
// is on its way:
//
//   - answer never sent: a proxy holds the bot's next answer send, the bot
//     is killed, the request is dropped without reaching the homeserver (a
//     send cut short by the crash). The command must be answered after the
//     restart.
//   - response lost: the homeserver stores the answer, the bot is killed
//     before the response reaches it. The command must not be answered a
//     second time after the restart.
//
// More commands are sent while it is down; then the same binary is started
// again on the same database. Every command must be answered exactly once,
// with the right answer, readable in the encrypted room.
//
// The burst is paced (one command per user every 2.4 s) to stay under the
// flood limit of 5 commands per user in 10 s, which the binary cannot lift.
func TestFaultKillMidBurst(t *testing.T) {
	needHomeserver(t)
	t.Run("answer never sent", func(t *testing.T) { killMidBurst(t, faultHold) })
	t.Run("response lost", func(t *testing.T) { killMidBurst(t, faultHoldResponse) })
}

func killMidBurst(t *testing.T, hold fault) {
	deadline := testDeadline(t, 120*time.Second)
	defer checkDeadline(t, deadline)
	const (
		pace   = 2400 * time.Millisecond
		rounds = 9 // after the warm-up round 0; 3 users → 27 commands
		armAt  = 7 // the round whose first answer is held, then the bot killed
	)

	proxy := newFaultProxy(t, hs.URL)
	var armed atomic.Bool
	proxy.decide = func(_ int64, r *http.Request) fault {
		if isAnswerSend(r) && armed.CompareAndSwap(true, false) {
			return hold
		}
		return faultNone
	}
	pb := newProcBot(t, proxy.URL)
	startAt := time.Now()
	pb.start()
	t.Logf("guidebot healthy %s after start", time.Since(startAt).Round(time.Millisecond))

	users := []*testUser{newTestUser(t, true), newTestUser(t, true), newTestUser(t, true)}
	others := []id.UserID{users[1].client.UserID, users[2].client.UserID}
	rooms := []id.RoomID{
		users[0].createRoom(pb.userID, false, false, others...),
		users[0].createRoom(pb.userID, false, false, others...),
		users[0].createRoom(pb.userID, true, false, others...),
	}
	encrypted := map[id.RoomID]bool{rooms[2]: true}
	joinAll(t, pb.userID, rooms, users...)

	var (
		mu   sync.Mutex
		cmds []sentCmd
	)
	record := func(c sentCmd) {
		mu.Lock()
		cmds = append(cmds, c)
		mu.Unlock()
	}
	// Round 0, the warm-up: the bot answers each user, in each room.
	for i, u := range users {
		text := faultCommands[i]
		evtID := u.say(rooms[i], text)
		record(sentCmd{user: u, room: rooms[i], text: text, id: evtID, phase: "warm-up"})
	}
	for _, c := range cmds {
		c.user.waitAnswer(pb.userID, c.id)
	}

	// The burst: in round r user i sends to room (i+r)%3.
	var killed atomic.Bool
	burstStart := time.Now().Add(pace)
	sendErrs := make(chan error, rounds*len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 1; r <= rounds; r++ {
				time.Sleep(time.Until(burstStart.Add(time.Duration(r-1) * pace)))
				if i == 0 && r == armAt {
					armed.Store(true)
				}
				room := rooms[(i+r)%len(rooms)]
				text := faultCommands[(r*len(users)+i)%len(faultCommands)]
				phase := "bot up"
				if killed.Load() {
					phase = "bot down"
				}
				evtID, err := sendRaw(u, room, textMsg(text))
				if err != nil {
					sendErrs <- fmt.Errorf("user %d round %d: %w", i, r, err)
					continue
				}
				record(sentCmd{user: u, room: room, text: text, id: evtID, phase: phase})
			}
		}()
	}

	// Kill while the bot's next answer is held in the proxy.
	var held heldRequest
	select {
	case held = <-proxy.held:
	case <-time.After(time.Until(burstStart.Add(armAt*pace + waitLong))):
		wg.Wait()
		t.Fatalf("the bot sent no answer after round %d was armed", armAt)
	}
	killAt := time.Now()
	pb.kill()
	killed.Store(true)
	if held.Forwarded {
		t.Logf("SIGKILL %.1fs into the burst, after the homeserver answered %d to %s %s, before the bot read it",
			killAt.Sub(burstStart).Seconds(), held.Status, held.Method, held.Path)
	} else {
		t.Logf("SIGKILL %.1fs into the burst, while %s %s was on its way", killAt.Sub(burstStart).Seconds(), held.Method, held.Path)
	}
	wg.Wait()
	close(sendErrs)
	for err := range sendErrs {
		t.Errorf("sending a command: %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}
	// The held request (or its response) must not have reached its end.
	for wait := time.Now().Add(5 * time.Second); len(proxy.droppedRequests()) == 0 && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	if len(proxy.droppedRequests()) != 1 {
		t.Errorf("the proxy dropped %d held requests or responses, want 1", len(proxy.droppedRequests()))
	}
	down := 0
	for _, c := range cmds {
		if c.phase == "bot down" {
			down++
		}
	}
	t.Logf("%d commands sent, %d of them while the bot was down (%.1fs)", len(cmds), down, time.Since(killAt).Seconds())

	restartAt := time.Now()
	pb.start()
	t.Logf("guidebot healthy again %s after restart", time.Since(restartAt).Round(time.Millisecond))

	lost := checkExactlyOnce(t, users[0], pb.userID, cmds, encrypted, earliest(deadline, time.Now().Add(20*time.Second)))
	if exited, err := pb.exited(); exited {
		t.Errorf("guidebot exited by itself after the restart: %v\n%s", err, pb.logTail(30))
	}
	pb.auditLog(proxy.accessTokens())
	for _, c := range lost {
		t.Errorf("lost command %q (%s) in %s; the bot's log about it:", c.text, c.id, c.room)
		for _, line := range pb.logLines(func(s string) bool { return strings.Contains(s, c.id.String()) }) {
			t.Log("    " + line)
		}
	}
	if t.Failed() {
		t.Logf("guidebot log: %s", pb.logPath)
	}
}

// ---- 2. rate limits and gateway errors between the bot and the homeserver ----

// newFaultSchedule returns the faults of the proxy test, the same ones on
// every run: about 40 % of the requests, decided by their number, get a
// 429 with a Retry-After header, a 429 with retry_after_ms in the body, a
// 429 with both, a 502 without reaching the homeserver, or a 502 after the
// homeserver handled the request (a lost response); and every sixth answer
// send, counted apart, loses its response, so that a retry which
// duplicated an answer would show.
func newFaultSchedule() func(n int64, r *http.Request) fault {
	var sends atomic.Int64
	return func(n int64, r *http.Request) fault {
		if isAnswerSend(r) && sends.Add(1)%6 == 2 {
			return fault502Lost
		}
		switch {
		case n%8 == 3:
			return fault429Header
		case n%8 == 6:
			return fault429Body
		case n%24 == 0:
			return fault429Both
		case n%12 == 1:
			return fault502
		case n%19 == 10:
			return fault502Lost
		}
		return faultNone
	}
}

// TestFaultProxyRateLimitsAndGatewayErrors puts a proxy between the bot and
// the homeserver that answers about 40 % of the requests (login, sync,
// key upload and sharing, sends, everything) with 429 M_LIMIT_EXCEEDED or
// 502, deterministically, each request at most twice in a row. The bot,
// with encryption on, must start, lose no command of a burst in a plain
// and an encrypted room, answer none twice, and not stop.
func TestFaultProxyRateLimitsAndGatewayErrors(t *testing.T) {
	needHomeserver(t)
	deadline := testDeadline(t, 120*time.Second)
	defer checkDeadline(t, deadline)
	proxy := newFaultProxy(t, hs.URL)
	proxy.decide = newFaultSchedule()
	// mautrix waits httpBackoff, doubling, before retrying a 502 or a 429
	// without Retry-After; the 2 s of production only stretch the test
	// (its first sync took 26 s with them). Retry-After is still obeyed.
	old := httpBackoff
	httpBackoff = 500 * time.Millisecond
	t.Cleanup(func() { httpBackoff = old })
	tb := newTestBot(t, withEncryption, func(c *Config) { c.Matrix.Homeserver = proxy.URL })
	tb.noFlood = true // the burst is not paced; the flood limit is another test's subject
	startAt := time.Now()
	tb.start()
	t.Logf("the bot's first sync through the proxy came %s after start (%d requests so far)",
		time.Since(startAt).Round(time.Millisecond), proxy.requests())

	users := []*testUser{newTestUser(t, true), newTestUser(t, true)}
	rooms := []id.RoomID{
		users[0].createRoom(tb.userID, false, false, users[1].client.UserID),
		users[0].createRoom(tb.userID, true, false, users[1].client.UserID),
	}
	encrypted := map[id.RoomID]bool{rooms[1]: true}
	joinAll(t, tb.userID, rooms, users...)

	const perUser = 16 // 2 users → 32 commands
	var (
		mu   sync.Mutex
		cmds []sentCmd
		wg   sync.WaitGroup
	)
	errs := make(chan error, perUser*len(users))
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perUser {
				room := rooms[k%len(rooms)]
				text := faultCommands[(k+i)%len(faultCommands)]
				evtID, err := sendRaw(u, room, textMsg(text))
				if err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				cmds = append(cmds, sentCmd{user: u, room: room, text: text, id: evtID, phase: "burst"})
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("sending a command: %v", err)
	}
	burstEnd := time.Now()
	checkExactlyOnce(t, users[0], tb.userID, cmds, encrypted, deadline)
	t.Logf("%d commands, checked %s after the end of the burst", len(cmds), time.Since(burstEnd).Round(time.Millisecond))
	select {
	case err := <-tb.done:
		tb.cancel = nil
		t.Errorf("the bot stopped: %v", err)
	default:
	}
	t.Log(proxy.report())
	for _, f := range []fault{fault429Header, fault429Body, fault429Both, fault502, fault502Lost} {
		if proxy.injected(f) == 0 {
			t.Errorf("no %s was injected: the test did not test it", f)
		}
	}
	for _, r := range []string{"/sync", "/send/m.room.message", "/send/m.room.encrypted"} {
		hits := 0
		for _, f := range []fault{fault429Header, fault429Body, fault429Both, fault502, fault502Lost} {
			hits += proxy.injectedOn(f, r)
		}
		if hits == 0 {
			t.Errorf("no fault hit %s", r)
		}
	}
	if proxy.injectedOn(fault502Lost, "/send/") == 0 {
		t.Error("no answer send lost its response: the duplicate case was not tested")
	}
}

// TestFaultSendResponseLost: the homeserver stores the bot's answer, but
// the response to that send is lost every time mautrix tries it (a gateway
// timing out in front of a homeserver that did the work). The bot gives
// up on the batch and fetches it again; the answer must still appear once,
// not twice. The homeserver drops a retried send with the same
// transaction ID, so a bot that sends an answer under a transaction ID
// derived from the command passes.
func TestFaultSendResponseLost(t *testing.T) {
	needHomeserver(t)
	deadline := testDeadline(t, 60*time.Second)
	defer checkDeadline(t, deadline)
	old := httpBackoff
	httpBackoff = 200 * time.Millisecond
	t.Cleanup(func() { httpBackoff = old })
	proxy := newFaultProxy(t, hs.URL)
	proxy.maxPerRequest = 1 << 20
	var lose atomic.Int32 // answer-send attempts whose response is still to be lost
	proxy.decide = func(_ int64, r *http.Request) fault {
		if isAnswerSend(r) && lose.Add(-1) >= 0 {
			return fault502Lost
		}
		return faultNone
	}
	tb := newTestBot(t, func(c *Config) { c.Matrix.Homeserver = proxy.URL })
	tb.start()
	u := newTestUser(t, false)
	room := u.createRoom(tb.userID, false, false)
	warm := sentCmd{user: u, room: room, text: "!help", phase: "before", id: u.say(room, "!help")}
	u.waitAnswer(tb.userID, warm.id)

	lose.Store(httpRetries + 1) // every attempt of the next answer send
	cmd := sentCmd{user: u, room: room, text: "!messenger signal", phase: "response lost"}
	cmd.id = u.say(room, cmd.text)
	for lose.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if lose.Load() > 0 {
		t.Fatalf("the bot tried the send only %d times", httpRetries+1-lose.Load())
	}
	after := sentCmd{user: u, room: room, text: "!networks", phase: "after"}
	after.id = u.say(room, after.text)
	checkExactlyOnce(t, u, tb.userID, []sentCmd{warm, cmd, after}, nil, deadline)
	t.Log(proxy.report())
}

// ---- 3. hostile messages ----

// hostileCase is one message sent to the bot.
type hostileCase struct {
	name    string
	content any // *event.MessageEventContent or a raw map
}

// hostileCases are the messages; mark is a word the bots' logs must not
// show at info level (the harness audits them), put in some of them.
func hostileCases(mark string) []hostileCase {
	manyArgs := strings.TrimSpace(strings.Repeat("signal ", 5000))
	big := "!messenger " + mark + strings.Repeat("a", 64_000-len("!messenger ")-len(mark))
	cases := []hostileCase{
		{"empty body", textMsg("")},
		{"only the prefix", textMsg("!")},
		{"prefix and spaces", textMsg("!   \t  ")},
		{"64 KB body", textMsg(big)},
		{"64 KB of spaces after the prefix", textMsg("!" + strings.Repeat(" ", 63_000) + "help")},
		{"thousands of arguments (compare)", textMsg("!compare " + manyArgs)},
		{"thousands of arguments (recommend)", textMsg("!recommend " + strings.Repeat("e2ee ", 3000))},
		{"thousands of arguments (help)", textMsg("!help " + manyArgs)},
		{"control characters", textMsg("!help\x01\x02\x1b[31m\x7f\u0085 messenger " + mark)},
		{"NUL byte", textMsg("!messenger sig\x00nal")},
		{"escape sequences in a name", textMsg("!messenger \x1b]0;pwned\x07\x1b[2J")},
		{"zero-width inside the command", textMsg("!he\u200blp")},
		{"zero-width before the prefix", textMsg("\ufeff\u200b!help")},
		{"zero-width joiners in a name", textMsg("!messenger s\u200di\u200cg\u2060nal")},
		{"right-to-left override", textMsg("!messenger \u202elangis\u202c")},
		{"right-to-left text", textMsg("!messenger سيجنال שלום " + mark)},
		{"right-to-left command", textMsg("\u202e!help")},
		{"HTML injection", textMsg("!messenger <img src=x onerror=alert(1)> " + mark)},
		{"script injection", textMsg("!messenger <script>alert(1)</script>")},
		{"HTML in the command name", textMsg("!<img src=x onerror=alert(1)>")},
		{"Markdown injection", textMsg("!m **bold** [x](javascript:alert(1)) " + mark)},
		{"Markdown link", textMsg("!messenger [click](javascript:alert(1))")},
		{"HTML link", textMsg(`!compare <a href="javascript:alert(1)">signal</a> molly`)},
		{"HTML formatted body", &event.MessageEventContent{MsgType: event.MsgText,
			Body:          "!messenger <img src=x onerror=alert(1)>",
			Format:        event.FormatHTML,
			FormattedBody: `<img src=x onerror=alert(1)><script>alert(1)</script><a href="javascript:alert(1)">x</a>`}},
		{"settings with HTML", textMsg("!set prefix <b>")},
		{"newlines and a second command", textMsg("!messenger signal\n!messenger molly\n<img src=x>")},
		{"fake reply fallback", textMsg("> <@someone:localhost> !help\n\n!messenger <img src=x onerror=alert(1)>")},
		// malformed event content, sent as raw JSON
		{"missing body", map[string]any{"msgtype": "m.text"}},
		{"body is a number", map[string]any{"msgtype": "m.text", "body": 42}},
		{"body is an object", map[string]any{"msgtype": "m.text", "body": map[string]any{"text": "!help"}}},
		{"body is null", map[string]any{"msgtype": "m.text", "body": nil}},
		{"body is a list", map[string]any{"msgtype": "m.text", "body": []any{"!help"}}},
		{"msgtype missing", map[string]any{"body": "!help " + mark}},
		{"msgtype is a number", map[string]any{"msgtype": 1, "body": "!help"}},
		{"formatted_body only", map[string]any{"msgtype": "m.text", "format": "org.matrix.custom.html",
			"formatted_body": `<b>!help</b><img src=x onerror=alert(1)>`}},
		{"empty content", map[string]any{}},
		{"relation is a string", map[string]any{"msgtype": "m.text", "body": "!help", "m.relates_to": "garbage"}},
		{"reply to a number", map[string]any{"msgtype": "m.text", "body": "!help",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": 42}}}},
		{"reply to a missing event", map[string]any{"msgtype": "m.text", "body": "!help",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": "$missing:localhost"}}}},
		{"thread of a missing root", map[string]any{"msgtype": "m.text", "body": "!help",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": "$missing:localhost",
				"is_falling_back": true, "m.in_reply_to": map[string]any{"event_id": "$missing:localhost"}}}},
		{"new_content is a string", map[string]any{"msgtype": "m.text", "body": "!help", "m.new_content": "x"}},
		{"mentions are a string", map[string]any{"msgtype": "m.text", "body": "!help", "m.mentions": "everyone"}},
	}
	return cases
}

// allowedAnswerTags are the HTML elements an answer may contain; anything
// else (img, script, iframe, svg, style…) came from the input.
var allowedAnswerTags = map[string]bool{
	"a": true, "b": true, "br": true, "code": true, "em": true, "i": true, "li": true, "ol": true,
	"p": true, "pre": true, "strong": true, "ul": true, "table": true, "thead": true, "tbody": true,
	"tr": true, "th": true, "td": true, "blockquote": true, "del": true, "sup": true, "sub": true,
	"hr": true, "span": true, "details": true, "summary": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "mx-reply": true,
}

var (
	tagRE     = regexp.MustCompile(`<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)`)
	badLinkRE = regexp.MustCompile(`(?i)(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):`)
	handlerRE = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
)

// checkAnswerIsClean reports what is wrong with an answer to hostile input.
func checkAnswerIsClean(msg *event.MessageEventContent) []string {
	var bad []string
	if msg.MsgType != event.MsgNotice {
		bad = append(bad, fmt.Sprintf("msgtype %q, want m.notice", msg.MsgType))
	}
	if strings.TrimSpace(msg.Body) == "" {
		bad = append(bad, "empty body")
	}
	if !utf8.ValidString(msg.Body) || !utf8.ValidString(msg.FormattedBody) {
		bad = append(bad, "invalid UTF-8")
	}
	if len(msg.Body) > 16<<10 || len(msg.FormattedBody) > 32<<10 {
		bad = append(bad, fmt.Sprintf("oversized answer (%d / %d bytes)", len(msg.Body), len(msg.FormattedBody)))
	}
	for _, r := range msg.Body + msg.FormattedBody {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			bad = append(bad, fmt.Sprintf("control character %U in the answer", r))
			break
		}
	}
	for _, m := range tagRE.FindAllStringSubmatch(msg.FormattedBody, -1) {
		if !allowedAnswerTags[strings.ToLower(m[1])] {
			bad = append(bad, fmt.Sprintf("unescaped <%s> in formatted_body", m[1]))
		}
	}
	if badLinkRE.MatchString(msg.FormattedBody) {
		bad = append(bad, "javascript:/data: link in formatted_body")
	}
	if handlerRE.MatchString(msg.FormattedBody) {
		bad = append(bad, "event handler attribute in formatted_body")
	}
	if strings.Contains(msg.Body, "**") && msg.Format == "" {
		bad = append(bad, "raw Markdown in a plain-only answer")
	}
	return bad
}

// TestFaultHostileMessages sends hostile and malformed messages into a
// group room (prefix needed) and an encrypted one: the bot must not stop,
// must answer a normal !help afterwards, and every answer must be a clean
// notice whose HTML carries nothing active from the input. Silence is a
// valid answer to garbage.
func TestFaultHostileMessages(t *testing.T) {
	needHomeserver(t)
	deadline := testDeadline(t, 120*time.Second)
	defer checkDeadline(t, deadline)
	tb := newTestBot(t, withEncryption)
	tb.noFlood = true // dozens of messages at once: not the flood limit's test
	tb.start()
	u := newTestUser(t, true)
	v := newTestUser(t, true)
	plain := u.createRoom(tb.userID, false, false, v.client.UserID)
	secret := u.createRoom(tb.userID, true, false, v.client.UserID)
	joinAll(t, tb.userID, []id.RoomID{plain, secret}, u, v)

	type sent struct {
		hostileCase
		room id.RoomID
		id   id.EventID
	}
	var all []sent
	cases := hostileCases(runLog.marker(t))
	for _, c := range cases {
		evtID, err := sendRaw(u, plain, c.content)
		if err != nil {
			// the homeserver refused it: nothing reached the bot
			t.Logf("%-36s the homeserver refused it: %v", c.name, err)
			continue
		}
		all = append(all, sent{c, plain, evtID})
	}
	// In the encrypted room the malformed content is inside the ciphertext.
	for _, c := range cases {
		if _, raw := c.content.(map[string]any); !raw && !strings.Contains(c.name, "injection") {
			continue
		}
		evtID, err := sendRaw(u, secret, c.content)
		if err != nil {
			t.Logf("%-36s (encrypted) the homeserver refused it: %v", c.name, err)
			continue
		}
		all = append(all, sent{hostileCase{c.name + " (encrypted)", c.content}, secret, evtID})
	}

	// The bot answers a room in order: once it has answered these, it has
	// dealt with everything before them.
	sentinels := []sentCmd{
		{user: u, room: plain, text: "!help", id: u.say(plain, "!help"), phase: "after the hostile messages"},
		{user: u, room: secret, text: "!help", id: u.say(secret, "!help"), phase: "after the hostile messages"},
	}
	if missing := awaitReplies(u, tb.userID, sentinels, deadline); len(missing) > 0 {
		select {
		case err := <-tb.done:
			tb.cancel = nil
			t.Fatalf("the bot stopped: %v", err)
		default:
		}
		t.Fatalf("the bot no longer answers !help after the hostile messages (%d of 2 unanswered)", len(missing))
	}
	for _, s := range sentinels {
		u.waitAnswer(tb.userID, s.id) // checks it is a proper notice
	}
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-tb.done:
		tb.cancel = nil
		t.Fatalf("the bot stopped: %v", err)
	default:
	}

	counts := map[id.RoomID]map[id.EventID]int{
		plain:  replyCounts(t, u, plain, tb.userID),
		secret: replyCounts(t, u, secret, tb.userID),
	}
	answered := 0
	for _, s := range all {
		n := counts[s.room][s.id]
		if n > 1 {
			t.Errorf("%s: answered %d times", s.name, n)
		}
		evt := replyIn(u, tb.userID, s.id)
		if evt == nil {
			if n > 0 {
				t.Errorf("%s: the answer is on the server but did not reach (or decrypt for) the user", s.name)
			}
			t.Logf("%-40s → silence", s.name)
			continue
		}
		answered++
		msg := evt.Content.AsMessage()
		if s.room == secret && evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
			t.Errorf("%s: the answer in the encrypted room did not decrypt", s.name)
		}
		first, _, _ := strings.Cut(msg.Body, "\n")
		t.Logf("%-40s → %.90q", s.name, first)
		if msg.Body == cannotRead.EN {
			// It did decrypt: malformed content is the sender's problem,
			// not a key problem, and must not use up the room's notice.
			t.Errorf("%s: answered %q", s.name, msg.Body)
		}
		for _, problem := range checkAnswerIsClean(msg) {
			t.Errorf("%s: %s\n  body: %.300q\n  formatted_body: %.300q", s.name, problem, msg.Body, msg.FormattedBody)
		}
	}
	t.Logf("%d hostile messages, %d answered, %d met with silence", len(all), answered, len(all)-answered)
	if answered == 0 {
		t.Error("the bot answered none of the hostile messages: the checks checked nothing")
	}
	if !slices.ContainsFunc(all, func(s sent) bool { return s.name == "64 KB body" }) {
		t.Error("the 64 KB message could not be sent: the case was not tested")
	}
}
