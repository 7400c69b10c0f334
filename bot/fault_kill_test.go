package bot

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

// Fault tests (issue 7): the real binary killed with SIGKILL in the middle of a burst. Each test has an explicit deadline and every
// wait is bounded. Run them alone with
//
//	go test -tags goolm -run 'TestFault' -v ./bot/

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
	botID := id.UserID(pb.Config.UserID)
	startAt := time.Now()
	startProcBot(t, pb)
	t.Logf("guidebot healthy %s after start", time.Since(startAt).Round(time.Millisecond))

	users := []*testUser{newTestUser(t, true), newTestUser(t, true), newTestUser(t, true)}
	// checker sends no command of the burst, only the sentinels of
	// checkExactlyOnce: the burst users are near the flood limit.
	checker := newTestUser(t, true)
	others := []id.UserID{users[1].ID(), users[2].ID(), checker.ID()}
	rooms := []id.RoomID{
		users[0].CreateRoom(botID, false, false, others...),
		users[0].CreateRoom(botID, false, false, others...),
		users[0].CreateRoom(botID, true, false, others...),
	}
	encrypted := map[id.RoomID]bool{rooms[2]: true}
	joinAll(t, botID, rooms, append(users, checker)...)

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
		evtID := u.Say(rooms[i], text)
		record(sentCmd{user: u, room: rooms[i], text: text, id: evtID, phase: "warm-up"})
	}
	for _, c := range cmds {
		c.user.WaitAnswer(botID, c.id)
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
				evtID, err := u.TrySend(room, bottest.TextMessage(text))
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
	if err := pb.Kill(); err != nil {
		t.Fatal(err)
	}
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
	startProcBot(t, pb)
	t.Logf("guidebot healthy again %s after restart", time.Since(restartAt).Round(time.Millisecond))

	lost := checkExactlyOnce(t, users[0], checker, botID, cmds, encrypted, earliest(deadline, time.Now().Add(20*time.Second)))
	if exited, err := pb.Exited(); exited {
		t.Errorf("guidebot exited by itself after the restart: %v\n%s", err, pb.LogTail(30))
	}
	auditProcLog(t, pb, proxy.accessTokens())
	for _, c := range lost {
		t.Errorf("lost command %q (%s) in %s; the bot's log about it:", c.text, c.id, c.room)
		for _, line := range pb.LogLines(func(s string) bool { return strings.Contains(s, c.id.String()) }) {
			t.Log("    " + line)
		}
	}
	if t.Failed() {
		t.Logf("guidebot log: %s", pb.LogPath)
	}
}
