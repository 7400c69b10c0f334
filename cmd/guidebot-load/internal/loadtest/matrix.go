package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/bottest"
)

const (
	accountPassword = "load test password"
	peerPickleKey   = "load test pickle key"

	// answerTimeout bounds every wait for one answer or delivery.
	answerTimeout = 30 * time.Second

	// guidebot answers a user at most 5 commands per 10 s (bot/flood.go).
	// A sender here sends at most floodPerWindow commands per floodWindow,
	// by its own clock: one fewer than allowed, so that only delivery
	// delays differing by more than the window could trip the limit.
	floodPerWindow = 4
	floodWindow    = 10 * time.Second
)

// driverTransport carries the load generator's requests: hundreds of
// clients share it, so it keeps more idle connections than the default
// (2 per host), which would open a new TCP connection per request.
// The echo client does not use it: it keeps mautrix's defaults, like the bot.
var driverTransport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        4096,
	MaxIdleConnsPerHost: 4096,
	IdleConnTimeout:     90 * time.Second,
}

// peer is one Matrix client of the tool: an observer, a sender or the echo
// client, with its own crypto store in encrypted runs.
type peer struct {
	name   string
	cli    *mautrix.Client
	crypto *cryptohelper.CryptoHelper

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// newPeer makes a client for a registered account; with encrypted, it
// sets up cryptohelper on a SQLite store of its own (uploading its keys).
func newPeer(ctx context.Context, hsURL string, l *bottest.Login, name string, encrypted, ownTransport bool, dir string, log zerolog.Logger) (*peer, error) {
	cli, err := mautrix.NewClient(hsURL, id.UserID(l.UserID), l.AccessToken)
	if err != nil {
		return nil, err
	}
	cli.DeviceID = id.DeviceID(l.DeviceID)
	cli.Log = log.With().Str("who", name).Logger()
	cli.DefaultHTTPRetries = 3
	if ownTransport {
		cli.Client = &http.Client{Transport: driverTransport, Timeout: 180 * time.Second}
	}
	p := &peer{name: name, cli: cli}
	if encrypted {
		ch, err := cryptohelper.NewCryptoHelper(cli, []byte(peerPickleKey), filepath.Join(dir, name+".db"))
		if err != nil {
			return nil, err
		}
		if err := ch.Init(ctx); err != nil {
			return nil, fmt.Errorf("%s: setting up encryption: %w", name, err)
		}
		cli.Crypto = ch
		p.crypto = ch
	} else {
		cli.StateStore = mautrix.NewMemoryStateStore()
		cli.Syncer.(*mautrix.DefaultSyncer).OnEvent(cli.StateStoreSyncHandler)
	}
	return p, nil
}

func (p *peer) syncer() *mautrix.DefaultSyncer { return p.cli.Syncer.(*mautrix.DefaultSyncer) }

// startSync syncs in the background until close, starting again after
// errors (the homeserver is busy, not gone).
func (p *peer) startSync() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p.mu.Lock()
	p.cancel, p.done = cancel, done
	p.mu.Unlock()
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := p.cli.SyncWithContext(ctx); err != nil && ctx.Err() == nil {
				p.cli.Log.Warn().Err(err).Msg("sync stopped; starting again")
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
}

// stopSync ends the background sync (startSync resumes it from where it
// stopped: the token is kept).
func (p *peer) stopSync() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}
}

func (p *peer) close() {
	p.stopSync()
	if p.crypto != nil {
		_ = p.crypto.Close()
	}
}

// say sends a text message and returns its event ID.
func (p *peer) say(ctx context.Context, room id.RoomID, text string) (id.EventID, error) {
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	resp, err := p.cli.SendMessageEvent(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText, Body: text})
	if err != nil {
		return "", err
	}
	return resp.EventID, nil
}

// arrival is an event seen in some observer's sync.
type arrival struct {
	at   time.Time
	from id.UserID
	body string
	ts   int64 // origin_server_ts: when the homeserver accepted the event
}

// tracker matches arrivals to the events that wait for them: an answer by
// the event it replies to, a delivery by its own ID. An arrival may come
// before its sender has even read the /send response, so arrivals are
// kept until claimed.
type tracker struct {
	mu      sync.Mutex
	arrived map[id.EventID]arrival
	waiters map[id.EventID]chan struct{}
}

func newTracker() *tracker {
	return &tracker{arrived: map[id.EventID]arrival{}, waiters: map[id.EventID]chan struct{}{}}
}

// note records the first arrival for key.
func (t *tracker) note(key id.EventID, a arrival) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.arrived[key]; ok {
		return
	}
	t.arrived[key] = a
	if ch, ok := t.waiters[key]; ok {
		close(ch)
		delete(t.waiters, key)
	}
}

// peek returns the arrival for key, if any, without waiting.
func (t *tracker) peek(key id.EventID) (arrival, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.arrived[key]
	return a, ok
}

// wait returns the arrival for key, waiting until deadline at most.
func (t *tracker) wait(ctx context.Context, key id.EventID, deadline time.Time) (arrival, bool) {
	t.mu.Lock()
	if a, ok := t.arrived[key]; ok {
		delete(t.arrived, key)
		t.mu.Unlock()
		return a, true
	}
	ch, ok := t.waiters[key]
	if !ok {
		ch = make(chan struct{})
		t.waiters[key] = ch
	}
	t.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	case <-ctx.Done():
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.arrived[key]
	delete(t.arrived, key)
	if !ok {
		delete(t.waiters, key)
	}
	return a, ok
}

// observe makes p report answers (notices replying to something) to
// replies, the one-way messages (m.text "floor …") to deliveries and the
// commands (m.text "!…") to commands, the latter for their timestamps.
func observe(p *peer, replies, deliveries, commands *tracker) {
	p.syncer().OnEventType(event.EventMessage, func(_ context.Context, evt *event.Event) {
		now := time.Now()
		msg := evt.Content.AsMessage()
		a := arrival{at: now, from: evt.Sender, body: msg.Body, ts: evt.Timestamp}
		switch {
		case msg.MsgType == event.MsgNotice && msg.RelatesTo.GetReplyTo() != "":
			replies.note(msg.RelatesTo.GetReplyTo(), a)
		case msg.MsgType == event.MsgText && strings.HasPrefix(msg.Body, "floor "):
			deliveries.note(evt.ID, a)
		case msg.MsgType == event.MsgText && strings.HasPrefix(msg.Body, "!"):
			commands.note(evt.ID, a)
		}
	})
}

// sender is an account that sends commands; pool spreads commands over
// senders so none trips guidebot's flood limit.
type sender struct {
	p    *peer
	sent []time.Time // times of its last floodPerWindow commands
	busy bool
}

type pool struct {
	mu      sync.Mutex
	senders []*sender
	next    int
}

func newPool(peers []*peer) *pool {
	p := &pool{}
	for _, pe := range peers {
		p.senders = append(p.senders, &sender{p: pe})
	}
	return p
}

// acquire returns a sender that may send a command now, waiting while none
// may; it returns nil once deadline passes. waited is the time spent
// waiting: a measurement limited by its senders says so.
func (p *pool) acquire(ctx context.Context, deadline time.Time) (s *sender, waited time.Duration) {
	began := time.Now()
	for {
		now := time.Now()
		p.mu.Lock()
		for i := range p.senders {
			c := p.senders[(p.next+i)%len(p.senders)]
			if c.busy || (len(c.sent) >= floodPerWindow && now.Sub(c.sent[0]) < floodWindow) {
				continue
			}
			p.next = (p.next + i + 1) % len(p.senders)
			c.busy = true
			if len(c.sent) >= floodPerWindow {
				c.sent = c.sent[1:]
			}
			c.sent = append(c.sent, now)
			p.mu.Unlock()
			return c, now.Sub(began)
		}
		p.mu.Unlock()
		if now.After(deadline) || ctx.Err() != nil {
			return nil, now.Sub(began)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *pool) release(s *sender) {
	p.mu.Lock()
	s.busy = false
	p.mu.Unlock()
}

// retry runs f until it succeeds, for errors a busy homeserver gives
// (rate limits, 5xx, network), with a doubling pause; at most 8 tries.
func retry(ctx context.Context, what string, f func() error) error {
	wait := 250 * time.Millisecond
	var err error
	for range 8 {
		if err = f(); err == nil || !transient(err) {
			return err
		}
		var httpErr mautrix.HTTPError
		if errors.As(err, &httpErr) && httpErr.RespError != nil {
			if ms, ok := httpErr.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
				wait = time.Duration(ms) * time.Millisecond
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func transient(err error) bool {
	if errors.Is(err, mautrix.MLimitExceeded) {
		return true
	}
	var httpErr mautrix.HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.Response == nil || httpErr.Response.StatusCode >= 500 || httpErr.Response.StatusCode == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// createRoom makes a public room (so senders can join without an invite)
// inviting invite; encrypted rooms get m.room.encryption from the start.
func createRoom(ctx context.Context, p *peer, encrypted bool, invite ...id.UserID) (id.RoomID, error) {
	req := &mautrix.ReqCreateRoom{Preset: "public_chat", Invite: invite}
	if encrypted {
		req.InitialState = []*event.Event{{
			Type:    event.StateEncryption,
			Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}},
		}}
	}
	var room id.RoomID
	err := retry(ctx, "creating a room", func() error {
		resp, err := p.cli.CreateRoom(ctx, req)
		if err == nil {
			room = resp.RoomID
		}
		return err
	})
	return room, err
}

func joinRoom(ctx context.Context, p *peer, room id.RoomID) error {
	return retry(ctx, "joining "+room.String(), func() error {
		_, err := p.cli.JoinRoomByID(ctx, room)
		return err
	})
}

// loadRoomState fills a peer's state store with a room's state (members,
// encryption) without syncing: senders never sync, so that hundreds of
// them do not load the homeserver, yet must encrypt for the right devices.
func loadRoomState(ctx context.Context, p *peer, room id.RoomID) error {
	return retry(ctx, "loading the state of "+room.String(), func() error {
		_, err := p.cli.State(ctx, room)
		return err
	})
}

// waitMember waits until observer's state store shows user joined in room,
// asking the server after a few seconds (Dendrite now and then leaves an
// event out of a sync under load).
func waitMember(ctx context.Context, observer *peer, room id.RoomID, user id.UserID, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	refetch := time.Now().Add(5 * time.Second)
	for {
		if m, _ := observer.cli.StateStore.TryGetMember(ctx, room, user); m != nil && m.Membership == event.MembershipJoin {
			return nil
		}
		if time.Now().After(refetch) {
			refetch = time.Now().Add(5 * time.Second)
			var mem event.MemberEventContent
			if err := observer.cli.StateEvent(ctx, room, event.StateMember, user.String(), &mem); err == nil && mem.Membership == event.MembershipJoin {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not join %s within %s", user, room, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// parallel runs f(0..n-1) on at most width goroutines and returns the
// first error.
func parallel(ctx context.Context, n, width int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for range min(width, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}
