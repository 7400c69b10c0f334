package bot

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
	"github.com/guidebot/guidebot/bot/config"
)

// Fault tests of the wait for a room key: a command that cannot be
// decrypted yet must still be answered exactly once when the key comes,
// whatever happens meanwhile. Run them alone with
//
//	go test -tags goolm -run 'TestKeyWait' -v ./bot/

// keyWaitLogLine is what cryptohelper logs when an event's room key is not
// there yet.
const keyWaitLogLine = "Couldn't find session, waiting for keys to arrive..."

// TestKeyWaitSendFails: an encrypted command whose room key arrives in a
// later sync (as in TestEncryptedKeyArrivesLate), and whose answer then
// cannot be sent at first: the proxy answers the bot's sends with a 502, a
// 429 (retry_after_ms in the body), a 502 after the homeserver stored the
// answer (the response lost), then a 429 with Retry-After. The outbox
// retries under the same transaction ID; the answer must be there once,
// decrypted, with the right text.
func TestKeyWaitSendFails(t *testing.T) {
	needHomeserver(t)
	deadline := testDeadline(t, 90*time.Second)
	defer checkDeadline(t, deadline)

	// The failures the answer's send attempts meet, in order.
	failures := []fault{fault502, fault429Body, fault502Lost, fault429Header}
	proxy := newFaultProxy(t, hs.URL)
	proxy.maxPerRequest = len(failures) // every try of one send reuses its URL
	var armed atomic.Bool
	var next atomic.Int32 // the next failure to inject
	proxy.decide = func(_ int64, r *http.Request) fault {
		if !armed.Load() || !isAnswerSend(r) {
			return faultNone
		}
		if i := int(next.Add(1)) - 1; i < len(failures) {
			return failures[i]
		}
		return faultNone
	}
	keys := &lateKeys{}
	tb := newTestBot(t, withEncryption, func(c *config.Config) { c.Matrix.Homeserver = proxy.URL })
	tb.transport = keys
	tb.start()
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)
	warm := sentCmd{user: u, room: room, text: "!help", phase: "warm-up", id: u.Say(room, "!help")}
	u.WaitAnswer(tb.userID, warm.id) // olm and megolm sessions set up both ways

	// A new megolm session, so that the next message needs a new key; the
	// bot gets it only in the sync after the message.
	if err := u.Crypto.Machine().CryptoStore.RemoveOutboundGroupSession(context.Background(), room); err != nil {
		t.Fatal(err)
	}
	keys.mu.Lock()
	keys.armed, keys.from = true, u.ID().String()
	keys.mu.Unlock()
	armed.Store(true)
	logMark := tb.logMark()
	cmd := sentCmd{user: u, room: room, text: "!messenger signal", phase: "late key, failing sends"}
	cmd.id = u.Say(room, cmd.text)
	// notices are no commands: they only wake the bot's sync, which then
	// brings the held key
	for !keys.released.Load() && time.Now().Before(deadline) {
		u.Send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "wake up"})
		time.Sleep(500 * time.Millisecond)
	}
	if !keys.released.Load() {
		t.Fatal("the held key was never released")
	}
	// the command did wait for its key (cryptohelper says so, at debug level)
	tb.waitLog(logMark, keyWaitLogLine, 5*time.Second, func(l map[string]any) bool { return l["event_id"] == cmd.id.String() })
	if awaitReplies(u, tb.userID, []sentCmd{cmd}, deadline) != nil {
		t.Fatalf("no answer by the deadline; %d send attempts were failed\n%s", min(int(next.Load()), len(failures)), proxy.report())
	}
	// the answer may show before the last failures were met: wait for them
	for int(next.Load()) <= len(failures) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := int(next.Load()); n <= len(failures) {
		t.Errorf("the bot tried the answer's send %d times, want %d failures and then a send that went through", n, len(failures))
	}
	armed.Store(false)
	checkExactlyOnce(t, u, u, tb.userID, []sentCmd{warm, cmd}, map[id.RoomID]bool{room: true}, deadline)
	row, err := tb.bot.outbox.table.answerFor(context.Background(), cmd.id)
	switch {
	case err != nil:
		t.Error(err)
	case row == nil || row.State != stateDone || row.AnswerID == "":
		t.Errorf("the command's outbox row is %+v, want an answer done, with its event", row)
	}
	t.Log(proxy.report())
}

// withheldKeys is a user's transport that keeps the user's to-device
// messages (the room keys it shares) from the homeserver while holding: it
// answers them 200 itself, so that the user's client believes the key went
// out and sends its message, and release delivers them for real. Holding
// at the sender reaches the bot whatever process it runs in, across a
// SIGKILL and a restart.
type withheldKeys struct {
	next    http.RoundTripper
	holding atomic.Bool

	mu   sync.Mutex
	held []heldSend
}

type heldSend struct {
	req  *http.Request
	body []byte
}

func (w *withheldKeys) RoundTrip(req *http.Request) (*http.Response, error) {
	if !w.holding.Load() || req.Method != http.MethodPut || !strings.Contains(req.URL.Path, "/sendToDevice/") {
		return w.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	w.mu.Lock()
	w.held = append(w.held, heldSend{req: req.Clone(context.Background()), body: body})
	w.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader("{}")),
		Request: req,
	}, nil
}

// release stops holding and sends what was held, in order; it returns how
// many requests that was.
func (w *withheldKeys) release() (int, error) {
	w.holding.Store(false)
	w.mu.Lock()
	held := w.held
	w.held = nil
	w.mu.Unlock()
	for _, h := range held {
		req := h.req.Clone(context.Background())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(h.body)), int64(len(h.body))
		resp, err := w.next.RoundTrip(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s %s: HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
		}
	}
	return len(held), nil
}

// procOutbox reads, in the database of a bot running as its own process,
// the outbox row of an event (kind and state, "" when there is none) and
// the sync token the crypto store saved. It opens the file for this one
// query: the bot is about to be killed.
func procOutbox(t *testing.T, b *bottest.Bot, evt id.EventID) (kind, state, token string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(b.Dir, "guidebot.db")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.QueryRow(`SELECT kind, state FROM outbox WHERE event_id=$1`, evt.String()).Scan(&kind, &state)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT sync_token FROM crypto_account`).Scan(&token); err != nil {
		t.Fatal(err)
	}
	return kind, state, token
}

// TestKeyWaitKill: the real binary gets an encrypted command whose room key
// the sender holds back, and is killed with SIGKILL while it waits for the
// key, after the sync that brought the command was saved (so that sync
// will not bring it again). Started again on the same database, the bot
// must take the wait up from its outbox; the key arrives once it runs
// again, or while it is down (then its first sync brings the key), and the
// command is answered exactly once, decrypted. That answer stays the
// command's answer: when the user edits the command, the bot edits it.
// When the held message is itself an edit of an answered command, the
// restarted bot edits that answer and sends no new one.
func TestKeyWaitKill(t *testing.T) {
	needHomeserver(t)
	t.Run("key after restart", func(t *testing.T) { keyWaitKill(t, false, false) })
	t.Run("key while down", func(t *testing.T) { keyWaitKill(t, true, false) })
	t.Run("held edit, key after restart", func(t *testing.T) { keyWaitKill(t, false, true) })
}

func keyWaitKill(t *testing.T, keyWhileDown, editHeld bool) {
	deadline := testDeadline(t, 90*time.Second)
	defer checkDeadline(t, deadline)

	pb := newProcBot(t, hs.URL)
	botID := id.UserID(pb.Config.UserID)
	startProcBot(t, pb)
	keys := &withheldKeys{next: tokenSniffer{}}
	log := baseLogger(t)
	u := &testUser{bottest.NewUser(t, hs, bottest.UserOptions{Encrypted: true, Transport: keys, Log: &log})}
	room := u.CreateRoom(botID, true, false)
	warm := sentCmd{user: u, room: room, text: "!help", phase: "warm-up", id: u.Say(room, "!help")}
	u.WaitAnswer(botID, warm.id) // olm and megolm sessions set up both ways

	// A new megolm session, its key held back by the sender.
	if err := u.Crypto.Machine().CryptoStore.RemoveOutboundGroupSession(context.Background(), room); err != nil {
		t.Fatal(err)
	}
	keys.holding.Store(true)
	cmd := sentCmd{user: u, room: room, text: "!messenger signal", phase: "key held, bot killed"}
	if editHeld {
		edit := &event.MessageEventContent{MsgType: event.MsgText, Body: cmd.text}
		edit.SetEdit(warm.id) // the fallback "* …" outside, the text in m.new_content
		cmd.id = u.Send(room, edit)
	} else {
		cmd.id = u.Say(room, cmd.text)
	}
	keys.mu.Lock()
	nHeld := len(keys.held)
	keys.mu.Unlock()
	if nHeld == 0 {
		t.Fatal("the user's client shared no key for its new session")
	}

	// The bot waits for the key (cryptohelper logs it), the command is in
	// the outbox as waiting, and a later sync's token is saved: the state
	// event below comes after the command, so once the token moves past
	// the one read with the row, the command's sync was saved too.
	waitProc := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\n%s", what, pb.LogTail(20))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitProc("the bot to wait for the command's key", func() bool {
		return len(pb.LogLines(func(s string) bool {
			return strings.Contains(s, keyWaitLogLine) && strings.Contains(s, cmd.id.String())
		})) > 0
	})
	var token string
	waitProc("the command's key_wait row", func() bool {
		var kind, state string
		kind, state, token = procOutbox(t, pb, cmd.id)
		if kind != "" && (kind != string(kindKeyWait) || state != string(statePending)) {
			t.Fatalf("the command's outbox row is %s/%s, want key_wait/pending", kind, state)
		}
		return kind != ""
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := u.Client.SendStateEvent(ctx, room, event.StateTopic, "", &event.TopicEventContent{Topic: "after the command"}); err != nil {
		t.Fatal(err)
	}
	waitProc("the bot to save a sync token after the command's", func() bool {
		_, _, now := procOutbox(t, pb, cmd.id)
		return now != token
	})
	if n := len(u.Answers(botID, cmd.id)); n != 0 {
		t.Fatalf("the command was answered %d times before its key was sent", n)
	}
	if err := pb.Kill(); err != nil {
		t.Fatal(err)
	}

	release := func() {
		t.Helper()
		n, err := keys.release()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d held to-device requests sent", n)
	}
	if keyWhileDown {
		release()
	}
	restartAt := time.Now()
	startProcBot(t, pb)
	t.Logf("guidebot healthy again %s after the SIGKILL", time.Since(restartAt).Round(time.Millisecond))
	if !keyWhileDown {
		release()
	}
	if editHeld {
		checkHeldEdit(t, u, pb, botID, room, warm, cmd, deadline)
		return
	}
	// the resumed wait lasts keyWaitOnResume at most
	if awaitReplies(u, botID, []sentCmd{cmd}, earliest(deadline, time.Now().Add(keyWaitOnResume+10*time.Second))) != nil {
		t.Errorf("the command is not answered after the restart; the bot's log about it:")
		for _, line := range pb.LogLines(func(s string) bool { return strings.Contains(s, cmd.id.String()) }) {
			t.Log("    " + line)
		}
		t.FailNow()
	}
	// The answer is the command's answer for what comes next too: the user
	// edits the command, and the bot edits that answer instead of sending
	// a second one.
	answer := u.FirstAnswer(botID, cmd.id).ID
	edit := &event.MessageEventContent{MsgType: event.MsgText, Body: "!messenger molly"}
	edit.SetEdit(cmd.id)
	u.Send(room, edit)
	// (the sentinel comes after the edit: the bot has dealt with it)
	checkExactlyOnce(t, u, u, botID, []sentCmd{warm, cmd}, map[id.RoomID]bool{room: true}, deadline)
	if edits := len(botEdits(u, room, botID, answer)); edits != 1 {
		t.Errorf("the bot edited its answer %d times after the command was edited, want once", edits)
	}
	// the second run took the wait up from the outbox
	if len(pb.LogLines(func(s string) bool { return strings.Contains(s, "Resuming work left pending by the last run") })) == 0 {
		t.Error("the restarted bot resumed no work from the outbox")
	}
	if exited, err := pb.Exited(); exited {
		t.Errorf("guidebot exited by itself after the restart: %v\n%s", err, pb.LogTail(30))
	}
	if t.Failed() {
		t.Logf("guidebot log: %s", pb.LogPath)
	}
}

// checkHeldEdit: the held message edited the warm-up command into cmd's
// text; the restarted bot must edit its answer to the warm-up command into
// cmd's answer, once, and answer the edit itself with nothing.
func checkHeldEdit(t *testing.T, u *testUser, pb *bottest.Bot, botID id.UserID, room id.RoomID, warm, cmd sentCmd, deadline time.Time) {
	t.Helper()
	answer := u.FirstAnswer(botID, warm.id).ID
	var edits []*event.Event
	for until := earliest(deadline, time.Now().Add(keyWaitOnResume+10*time.Second)); len(edits) == 0 && time.Now().Before(until); time.Sleep(200 * time.Millisecond) {
		edits = botEdits(u, room, botID, answer)
	}
	if len(edits) == 0 {
		t.Errorf("the bot did not edit its answer after the held edit; its log about it:")
		for _, line := range pb.LogLines(func(s string) bool { return strings.Contains(s, cmd.id.String()) }) {
			t.Log("    " + line)
		}
		t.FailNow()
	}
	ev := edits[0]
	if err := ev.Content.ParseRaw(ev.Type); err != nil {
		t.Fatal(err)
	}
	dec, err := u.Crypto.Decrypt(context.Background(), ev)
	if err != nil {
		t.Fatalf("decrypting the bot's edit: %v", err)
	}
	got := dec.Content.AsMessage().NewContent
	if want := expected(t, cmd.text, false).Plain; got == nil || got.Body != want {
		t.Errorf("the edited answer is %+v, want the answer to %q", got, cmd.text)
	}
	// (the sentinel comes after everything: the bot has dealt with it)
	checkExactlyOnce(t, u, u, botID, []sentCmd{warm}, map[id.RoomID]bool{room: true}, deadline)
	if n := len(u.Answers(botID, cmd.id)); n != 0 {
		t.Errorf("the held edit was answered %d times as a new command, want 0", n)
	}
	if n := len(botEdits(u, room, botID, "")); n != 1 {
		t.Errorf("the bot sent %d edits, want 1", n)
	}
}

// botEdits are the edits the bot sent in room, as the server's history has
// them, of the event of (of any event when of is "").
func botEdits(u *testUser, room id.RoomID, bot id.UserID, of id.EventID) []*event.Event {
	var edits []*event.Event
	for _, evt := range u.History(room) {
		rel, _ := evt.Content.Raw["m.relates_to"].(map[string]any)
		if evt.Sender == bot && rel["rel_type"] == string(event.RelReplace) && (of == "" || rel["event_id"] == of.String()) {
			edits = append(edits, evt)
		}
	}
	return edits
}
