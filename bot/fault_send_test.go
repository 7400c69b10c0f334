package bot

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guidebot/guidebot/bot/config"
	"maunium.net/go/mautrix/id"
)

// Fault tests (issue 7): answer sends that fail, or whose response is lost. Each test has an explicit deadline and every
// wait is bounded. Run them alone with
//
//	go test -tags goolm -run 'TestFault' -v ./bot/

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
	tb := newTestBot(t, func(c *config.Config) { c.Matrix.Homeserver = proxy.URL })
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)
	warm := sentCmd{user: u, room: room, text: "!help", phase: "before", id: u.Say(room, "!help")}
	u.WaitAnswer(tb.userID, warm.id)

	lose.Store(httpRetries + 1) // every attempt of the next answer send
	cmd := sentCmd{user: u, room: room, text: "!messenger signal", phase: "response lost"}
	cmd.id = u.Say(room, cmd.text)
	for lose.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if lose.Load() > 0 {
		t.Fatalf("the bot tried the send only %d times", httpRetries+1-lose.Load())
	}
	after := sentCmd{user: u, room: room, text: "!networks", phase: "after"}
	after.id = u.Say(room, after.text)
	checkExactlyOnce(t, u, u, tb.userID, []sentCmd{warm, cmd, after}, nil, deadline)
	t.Log(proxy.report())
}

// failingSends fails the bot's message sends while failing is set, as a
// homeserver that accepts syncs but cannot store events would.
type failingSends struct {
	failing  atomic.Bool
	attempts atomic.Int32
}

func (f *failingSends) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.failing.Load() && req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/send/m.room.message/") {
		f.attempts.Add(1)
		return nil, errors.New("injected network failure")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestFailedSendIsRetried: an answer that cannot be sent (after the HTTP
// retries) is not lost: the batch is fetched again and the command answered
// exactly once, and the other room of the same batch is not answered twice.
func TestFailedSendIsRetried(t *testing.T) {
	needHomeserver(t)
	old := httpBackoff
	httpBackoff = 10 * time.Millisecond
	t.Cleanup(func() { httpBackoff = old })
	f := &failingSends{}
	tb := newTestBot(t)
	tb.transport = f
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)

	f.failing.Store(true)
	cmd := u.Say(room, "!help")
	deadline := time.Now().Add(waitLong)
	for f.attempts.Load() < httpRetries+1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if f.attempts.Load() < httpRetries+1 {
		t.Fatalf("only %d send attempts", f.attempts.Load())
	}
	f.failing.Store(false)
	u.WaitAnswer(tb.userID, cmd)
	after := u.Say(room, "!help")
	u.WaitAnswer(tb.userID, after)
	u.Sentinel(room, tb.userID, "!help") // a duplicate would come before its answer
	for name, c := range map[string]id.EventID{"failed": cmd, "after": after} {
		if n := u.CountAnswers(room, tb.userID, c); n != 1 {
			t.Errorf("%s command answered %d times, want once", name, n)
		}
	}
}
