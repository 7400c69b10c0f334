package loadtest

import (
	"context"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix/event"
)

// echoClient is the floor guidebot is judged against (the budgets compare the two): a minimal
// mautrix client that joins when invited and answers every m.text with an
// m.notice reply. Its answer is the same text guidebot would send (looked
// up, not computed) unless short, so the comparison is of the runtimes,
// not of the event sizes. It sends each answer in a goroutine of its own
// unless serial: answering one at a time from the sync handler makes the
// echo client, not the homeserver, the limit of the sustained phase.
type echoClient struct {
	*peer
	answers map[string][2]string // command → plain, HTML
	short   bool
	serial  bool
	joined  atomic.Int64
	// time from the handler's call to the answer accepted, summed, and
	// how many answers: the echo's side of a diagnostic row
	insideNanos, insideCount atomic.Int64
}

func startEcho(p *peer, answers map[string][2]string, short, serial bool) *echoClient {
	e := &echoClient{peer: p, answers: answers, short: short, serial: serial}
	cli := p.cli
	s := p.syncer()
	s.OnEventType(event.StateMember, func(ctx context.Context, evt *event.Event) {
		if evt.GetStateKey() != cli.UserID.String() || evt.Mautrix.EventSource&event.SourceInvite == 0 {
			return
		}
		if _, err := cli.JoinRoomByID(ctx, evt.RoomID); err != nil {
			cli.Log.Warn().Err(err).Stringer("room_id", evt.RoomID).Msg("echo could not join")
			return
		}
		if p.crypto != nil {
			// the member list must be in the state store before the first
			// encrypted answer, or other devices get no key for it
			_, _ = cli.Members(ctx, evt.RoomID)
		}
		e.joined.Add(1)
	})
	s.OnEventType(event.EventMessage, func(ctx context.Context, evt *event.Event) {
		msg := evt.Content.AsMessage()
		if evt.Sender == cli.UserID || msg.MsgType != event.MsgText {
			return
		}
		c := &event.MessageEventContent{MsgType: event.MsgNotice, Body: "echo", Format: event.FormatHTML, FormattedBody: "echo"}
		if a, ok := e.answers[msg.Body]; ok && !e.short {
			c.Body, c.FormattedBody = a[0], a[1]
		}
		c.SetReply(evt)
		received := time.Now()
		send := func() {
			if _, err := cli.SendMessageEvent(ctx, evt.RoomID, event.EventMessage, c); err != nil {
				cli.Log.Warn().Err(err).Msg("echo could not answer")
				return
			}
			e.insideNanos.Add(int64(time.Since(received)))
			e.insideCount.Add(1)
		}
		if e.serial {
			send()
		} else {
			go send()
		}
	})
	p.startSync()
	return e
}

// expectedBody is the body the echo client answers text with.
func (e *echoClient) expectedBody(text string) string {
	if a, ok := e.answers[text]; ok && !e.short {
		return a[0]
	}
	return "echo"
}

// inside returns the echo's total handler → answer time and answer count.
func (e *echoClient) inside() (time.Duration, int64) {
	return time.Duration(e.insideNanos.Load()), e.insideCount.Load()
}
