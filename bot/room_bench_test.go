package bot

import (
	"fmt"
	"testing"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/commands"
	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"
)

// BenchmarkSettingsGet is the settings lookup on the per-message path, in a
// bot with 1,000 rooms of which every other one changed three settings.
func BenchmarkSettingsGet(b *testing.B) {
	t := newSettingsTable(nil, config.BotConfig{Prefix: "!", DefaultLanguage: "en"}, zerolog.Nop())
	for i := range 1000 {
		if i%2 == 0 {
			room := id.RoomID(fmt.Sprintf("!room%d:example.org", i))
			t.rooms[room] = map[string]string{commands.SettingLanguage.Key: "fr", commands.SettingPrefix.Key: "?", commands.SettingReplies.Key: "plain"}
			t.resolve(room, false)
		}
	}
	for _, tc := range []struct{ name, room string }{
		{"changed", "!room10:example.org"},
		{"defaults", "!room11:example.org"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			room := id.RoomID(tc.room)
			for b.Loop() {
				_ = t.get(room)
			}
		})
	}
}
