package bot

import (
	"context"
	"testing"
	"time"

	"maunium.net/go/mautrix"
)

// TestAccessTokenLogin: a bot configured with an access token (no
// password), as homeservers with OIDC need, works in an encrypted room.
func TestAccessTokenLogin(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t, withEncryption)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	cli, err := mautrix.NewClient(hs.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	login, err := cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: tb.userID.String()},
		Password:   testPassword})
	if err != nil {
		t.Fatal(err)
	}
	tb.cfg.Matrix.Password = ""
	tb.cfg.Matrix.AccessToken = login.AccessToken
	tb.cfg.Matrix.DeviceID = "" // looked up with /whoami
	tb.start()
	if tb.bot.client.DeviceID != login.DeviceID {
		t.Errorf("device = %s, want the token's %s", tb.bot.client.DeviceID, login.DeviceID)
	}
	u := newTestUser(t, true)
	room := u.CreateRoom(tb.userID, true, false)
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))
	tb.stop()
	tb.start() // and again after a restart, with the stored keys
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))
}

// TestLoginAgainAfterLogout: when its token is revoked, a bot with a
// password logs in again and keeps answering.
func TestLoginAgainAfterLogout(t *testing.T) {
	needHomeserver(t)
	tb := newTestBot(t)
	tb.start()
	u := newTestUser(t, false)
	room := u.CreateRoom(tb.userID, false, false)
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))

	other, err := mautrix.NewClient(hs.URL, tb.userID, tb.bot.client.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := other.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	// the long poll in flight ends, the next sync is refused, the bot logs in
	for tb.bot.relogins.Load() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the bot did not log in again")
		case err := <-tb.done:
			tb.cancel = nil
			t.Fatalf("the bot stopped: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	u.WaitAnswer(tb.userID, u.Say(room, "!help"))
}
