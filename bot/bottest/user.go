package bottest

import (
	"context"
	"fmt"
	"net/http"
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
)

// Password is the password of every account the tests register.
const Password = "correct horse battery staple"

// WaitLong bounds every wait for the homeserver or the bot in User's
// methods.
const WaitLong = 30 * time.Second

var nameSeq atomic.Int64

// UniqueName returns a fresh localpart starting with prefix: tests never
// share accounts.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1_000_000, nameSeq.Add(1))
}

// TextMessage is an m.text message with body s.
func TextMessage(s string) *event.MessageEventContent {
	return &event.MessageEventContent{MsgType: event.MsgText, Body: s}
}

// UserOptions shape NewUser's client.
type UserOptions struct {
	// Encrypted gives the user a crypto store of its own (cryptohelper on
	// SQLite in the test's temporary directory), for encrypted rooms.
	Encrypted bool
	// Transport carries the client's requests (http.DefaultTransport when
	// nil), e.g. to watch the access tokens it uses.
	Transport http.RoundTripper
	// Log is the client's logger; nothing is logged when nil.
	Log *zerolog.Logger
}

// User is a Matrix test client with an account of its own on the test
// homeserver. It syncs in the background until the test ends (through
// homeserver restarts) and records every m.room.message it receives,
// decrypted when it can. Its methods fail the test (t.Fatal) on errors,
// except TrySend, which may be called from other goroutines.
type User struct {
	T      testing.TB
	Client *mautrix.Client
	Crypto *cryptohelper.CryptoHelper // nil unless Encrypted

	mu     sync.Mutex
	events []*event.Event
	cond   chan struct{} // closed and replaced on every new event
}

// NewUser registers a fresh account on hs, logs it in and starts syncing.
func NewUser(t testing.TB, hs *Homeserver, opts UserOptions) *User {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := UniqueName("user")
	if _, err := hs.Register(ctx, name, Password); err != nil {
		t.Fatal(err)
	}
	cli, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Log != nil {
		cli.Log = opts.Log.With().Str("who", name).Logger()
	}
	if opts.Transport != nil {
		cli.Client.Transport = opts.Transport
	}
	u := &User{T: t, Client: cli, cond: make(chan struct{})}
	login := &mautrix.ReqLogin{
		Type:             mautrix.AuthTypePassword,
		Identifier:       mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name},
		Password:         Password,
		StoreCredentials: true,
	}
	if opts.Encrypted {
		ch, err := cryptohelper.NewCryptoHelper(cli, []byte("user pickle key"), filepath.Join(t.TempDir(), "user.db"))
		if err != nil {
			t.Fatal(err)
		}
		ch.LoginAs = login
		if err := ch.Init(ctx); err != nil {
			t.Fatal(err)
		}
		cli.Crypto = ch
		u.Crypto = ch
	} else if _, err := cli.Login(ctx, login); err != nil {
		t.Fatal(err)
	}
	syncer := cli.Syncer.(*mautrix.DefaultSyncer)
	if u.Crypto == nil {
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
	syncCtx, stop := context.WithCancel(context.Background())
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
		stop()
		<-done
		if u.Crypto != nil {
			_ = u.Crypto.Close()
		}
	})
	return u
}

// ID is the user's Matrix ID.
func (u *User) ID() id.UserID { return u.Client.UserID }

// Events returns the messages received so far, oldest first.
func (u *User) Events() []*event.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*event.Event(nil), u.events...)
}

// Mark is where the received messages stand now, for Since and WaitSince.
func (u *User) Mark() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.events)
}

// Since returns the messages received after mark that from sent in room.
func (u *User) Since(mark int, from id.UserID, room id.RoomID) []*event.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*event.Event
	for _, evt := range u.events[min(mark, len(u.events)):] {
		if evt.Sender == from && evt.RoomID == room {
			out = append(out, evt)
		}
	}
	return out
}

// Changed returns a channel closed when the next message is received.
func (u *User) Changed() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.cond
}

// WaitEvent waits up to timeout for a received message matching pred
// (looking at those already received too) and returns it; the test fails
// if none comes.
func (u *User) WaitEvent(what string, timeout time.Duration, pred func(*event.Event) bool) *event.Event {
	u.T.Helper()
	return u.WaitSince(0, what, timeout, pred)
}

// WaitSince is WaitEvent among the messages received after mark.
func (u *User) WaitSince(mark int, what string, timeout time.Duration, pred func(*event.Event) bool) *event.Event {
	u.T.Helper()
	deadline := time.After(timeout)
	seen := mark
	for {
		u.mu.Lock()
		evts, cond := u.events, u.cond
		u.mu.Unlock()
		for _, evt := range evts[min(seen, len(evts)):] {
			if pred(evt) {
				return evt
			}
		}
		seen = max(seen, len(evts))
		select {
		case <-cond:
		case <-deadline:
			u.T.Fatalf("timed out after %s waiting for %s", timeout, what)
			return nil
		}
	}
}

// Answers returns bot's replies to eventID received so far.
func (u *User) Answers(bot id.UserID, eventID id.EventID) []*event.Event {
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

// FirstAnswer returns bot's first reply to eventID received so far, or nil.
func (u *User) FirstAnswer(bot id.UserID, eventID id.EventID) *event.Event {
	if evts := u.Answers(bot, eventID); len(evts) > 0 {
		return evts[0]
	}
	return nil
}

// WaitReply waits for any message from bot replying to eventID.
func (u *User) WaitReply(bot id.UserID, eventID id.EventID) *event.Event {
	u.T.Helper()
	return u.WaitEvent("a reply to "+eventID.String(), WaitLong, func(evt *event.Event) bool {
		return evt.Sender == bot && evt.Content.AsMessage().RelatesTo.GetReplyTo() == eventID
	})
}

// WaitAnswer waits for bot's answer to eventID and checks it is a readable
// (decrypted) m.notice with a plain and an HTML body, as every answer of
// guidebot is.
func (u *User) WaitAnswer(bot id.UserID, eventID id.EventID) *event.MessageEventContent {
	u.T.Helper()
	msg := u.WaitReply(bot, eventID).Content.AsMessage()
	if msg.MsgType != event.MsgNotice {
		u.T.Errorf("answer msgtype = %q, want m.notice", msg.MsgType)
	}
	if msg.Body == "" || msg.FormattedBody == "" || msg.Format != event.FormatHTML {
		u.T.Errorf("answer lacks a plain or HTML body: %+v", msg)
	}
	return msg
}

// TrySend sends an m.room.message with any content (a struct or a raw
// map) and returns its ID; it does not fail the test, so that goroutines
// may call it.
func (u *User) TrySend(room id.RoomID, content any) (id.EventID, error) {
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	resp, err := u.Client.SendMessageEvent(ctx, room, event.EventMessage, content)
	if err != nil {
		return "", err
	}
	return resp.EventID, nil
}

// Send sends an m.room.message and returns its ID.
func (u *User) Send(room id.RoomID, content any) id.EventID {
	u.T.Helper()
	evtID, err := u.TrySend(room, content)
	if err != nil {
		u.T.Fatalf("sending %v: %v", content, err)
	}
	return evtID
}

// Say sends text as an m.text message and returns its ID.
func (u *User) Say(room id.RoomID, text string) id.EventID {
	u.T.Helper()
	return u.Send(room, TextMessage(text))
}

// CreateRoom creates a private room inviting bot and others, encrypted or
// a direct message as asked, and waits until the bot has joined and this
// user's client has seen the join (needed to share keys with it).
func (u *User) CreateRoom(bot id.UserID, encrypted, direct bool, others ...id.UserID) id.RoomID {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
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
	resp, err := u.Client.CreateRoom(ctx, req)
	if err != nil {
		u.T.Fatal(err)
	}
	u.WaitMembership(resp.RoomID, bot, event.MembershipJoin)
	return resp.RoomID
}

// Join joins a room the user was invited to.
func (u *User) Join(room id.RoomID) {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	if _, err := u.Client.JoinRoomByID(ctx, room); err != nil {
		u.T.Fatalf("%s joining %s: %v", u.ID(), room, err)
	}
}

// WaitMembership waits until the user's own state store shows member with
// the given membership. Dendrite 0.13 now and then leaves an event out of
// a sync stream under concurrent writes; when the server already has the
// membership but the store does not after a few seconds, the member list
// is fetched again (as a real client would after a gap).
func (u *User) WaitMembership(room id.RoomID, member id.UserID, want event.Membership) {
	u.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLong)
	defer cancel()
	refetch := time.Now().Add(5 * time.Second)
	for {
		if time.Now().After(refetch) {
			refetch = time.Now().Add(5 * time.Second)
			var mem event.MemberEventContent
			if err := u.Client.StateEvent(ctx, room, event.StateMember, member.String(), &mem); err == nil && mem.Membership == want {
				u.T.Logf("membership of %s seen on the server but not in the sync stream; refetching members", member)
				_, _ = u.Client.Members(ctx, room)
			}
		}
		var m event.Membership
		if mem, _ := u.Client.StateStore.TryGetMember(ctx, room, member); mem != nil {
			m = mem.Membership
		}
		if m == want {
			return
		}
		select {
		case <-ctx.Done():
			u.T.Fatalf("timed out waiting for %s to be %s in %s (is %q)", member, want, room, m)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
