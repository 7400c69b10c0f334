package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guidebot/guidebot/commands"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Encrypted rooms: answers encrypted, a device cross-signed, keys that
// come late, messages that cannot be decrypted, a bot without encryption.

func TestEncryptedRoom(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	tb.start()
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)

	cmd := u.Say(room, "!help")
	evt := u.WaitEvent("a decrypted answer", waitLong, func(evt *event.Event) bool {
		return evt.Sender == tb.userID && evt.Content.AsMessage().RelatesTo.GetReplyTo() == cmd
	})
	if evt.Mautrix.EventSource&event.SourceDecrypted == 0 {
		t.Error("the answer in an encrypted room was not encrypted")
	}
	if want := expected(t, "!help", false); evt.Content.AsMessage().Body != want.Plain {
		t.Errorf("answer = %q, want %q", evt.Content.AsMessage().Body, want.Plain)
	}

	// The bot cross-signed its device at start (it has a password).
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	mach := u.Crypto.Machine()
	dev, err := mach.GetOrFetchDevice(ctx, tb.userID, tb.bot.client.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	if trust, err := mach.ResolveTrustContext(ctx, dev); err != nil || trust < id.TrustStateCrossSignedTOFU {
		t.Errorf("bot device trust = %s, %v; want cross-signed", trust, err)
	}
}

func TestUndecryptableNotice(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	tb.start()
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	// An encrypted event the bot cannot decrypt: olm ciphertext addressed
	// to nobody, sent raw so the client does not encrypt it properly.
	bogus := map[string]any{
		"algorithm":  id.AlgorithmOlmV1,
		"sender_key": "bogus",
		"ciphertext": map[string]any{},
	}
	resp, err := u.Client.SendMessageEvent(ctx, room, event.EventEncrypted, bogus, mautrix.ReqSendEvent{DontEncrypt: true})
	if err != nil {
		t.Fatal(err)
	}
	first := resp.EventID
	resp2, err := u.Client.SendMessageEvent(ctx, room, event.EventEncrypted, bogus, mautrix.ReqSendEvent{DontEncrypt: true})
	if err != nil {
		t.Fatal(err)
	}
	second := resp2.EventID
	if got := u.WaitReply(tb.userID, first).Content.AsMessage().Body; got != commands.NoticeUndecryptable.EN {
		t.Errorf("notice = %q, want %q", got, commands.NoticeUndecryptable.EN)
	}
	// a command after them is answered once the bot has dealt with both
	u.Sentinel(room, tb.userID, "!help")
	counts := u.ReplyCounts(room, tb.userID)
	if n := counts[first] + counts[second]; n != 1 {
		t.Errorf("got %d undecryptable notices, want exactly 1", n)
	}
}

// TestEncryptedRoomWithoutEncryption: a bot with encryption off says it
// cannot read an encrypted room instead of staying silent.
func TestEncryptedRoomWithoutEncryption(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)
	cmd := u.Say(room, "!help")
	u.WaitEvent("the cannot-read notice", waitLong, func(evt *event.Event) bool {
		m := evt.Content.AsMessage()
		return evt.Sender == tb.userID && m.RelatesTo.GetReplyTo() == cmd && m.Body == commands.NoticeNoEncryption.EN
	})
}

// lateKeys holds back the to-device events (room keys) of the bot's syncs
// until the sync after the one carrying an encrypted room message, so the
// message arrives before its key, as happens when to-device delivery lags.
type lateKeys struct {
	mu       sync.Mutex
	from     string // the sender of the message that must come first
	armed    bool
	seen     bool // the encrypted message went through, keyless
	held     []json.RawMessage
	released atomic.Bool
}

func (l *lateKeys) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/sync") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var sync map[string]json.RawMessage
	if json.Unmarshal(body, &sync) == nil {
		var td struct {
			Events []json.RawMessage `json:"events"`
		}
		_ = json.Unmarshal(sync["to_device"], &td)
		l.mu.Lock()
		switch {
		case l.armed && !l.seen:
			l.held = append(l.held, td.Events...)
			td.Events = nil
			rooms := string(sync["rooms"])
			l.seen = strings.Contains(rooms, `"m.room.encrypted"`) && strings.Contains(rooms, `"sender":"`+l.from+`"`)
		case l.armed && l.seen:
			td.Events = append(l.held, td.Events...)
			l.held, l.armed = nil, false
			l.released.Store(true)
		}
		l.mu.Unlock()
		sync["to_device"], _ = json.Marshal(td)
		body, _ = json.Marshal(sync)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestEncryptedKeyArrivesLate: a command whose room key comes in a later
// sync is decrypted once the key is there and answered.
func TestEncryptedKeyArrivesLate(t *testing.T) {
	needHomeserver(t)
	keys := &lateKeys{}
	tb := newTestBot(t, withEncryption)
	tb.transport = keys
	tb.start()
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)
	u.WaitAnswer(tb.userID, u.Say(room, "!help")) // sessions set up

	// a new megolm session, so the next message needs a new key
	if err := u.Crypto.Machine().CryptoStore.RemoveOutboundGroupSession(context.Background(), room); err != nil {
		t.Fatal(err)
	}
	keys.mu.Lock()
	keys.armed, keys.from = true, u.Client.UserID.String()
	keys.mu.Unlock()
	cmd := u.Say(room, "!help")
	// wake the bot's sync so that the held key is delivered
	deadline := time.Now().Add(waitLong)
	for !keys.released.Load() && time.Now().Before(deadline) {
		u.Send(room, &event.MessageEventContent{MsgType: event.MsgNotice, Body: "wake up"})
		time.Sleep(500 * time.Millisecond)
	}
	if !keys.released.Load() {
		t.Fatal("the held key was never released")
	}
	u.WaitAnswer(tb.userID, cmd)
}
