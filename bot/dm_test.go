package bot

import "testing"

func TestDirectMessageWithoutPrefix(t *testing.T) {
	needHomeserver(t)
	for _, encrypted := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypted], func(t *testing.T) {
			opts := []botOption{}
			if encrypted {
				opts = append(opts, withEncryption)
			}
			tb := newTestBot(t, opts...)
			tb.start()
			u := newTestUser(t, encrypted)
			room := u.CreateRoom(tb.userID, encrypted, true)
			cmd := u.Say(room, "help")
			got := u.WaitAnswer(tb.userID, cmd)
			if want := expected(t, "help", true); got.Body != want.Plain {
				t.Errorf("answer = %q, want %q", got.Body, want.Plain)
			}
		})
	}
}
