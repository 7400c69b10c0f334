package bot

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

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
