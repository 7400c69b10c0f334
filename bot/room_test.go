package bot

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// TestStoredSettings: the table reads stored values through the settings'
// declarations: a value no longer valid falls back to the default, others
// are kept, and the internal direct flag never leaks into the settings.
func TestStoredSettings(t *testing.T) {
	ctx := context.Background()
	db, lock, err := openDatabase(ctx, config.DatabaseConfig{Type: "sqlite3", URI: filepath.Join(t.TempDir(), "s.db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(); lock.release() })
	cfg := config.DefaultConfig().Bot
	cfg.DefaultLanguage, cfg.Prefix = "fr", "!!"
	const good, bad = id.RoomID("!good:x"), id.RoomID("!bad:x")
	for _, row := range [][3]string{
		{string(good), commands.SettingLanguage.Key, "en"},
		{string(good), commands.SettingPrefix.Key, "?"},
		{string(good), commands.SettingReplies.Key, "plain"},
		{string(good), commands.SettingAnnouncements.Key, "on"},
		{string(good), "direct", "true"}, // an older version's is_direct flag: ignored now
		// written by hand or by an older version
		{string(bad), commands.SettingLanguage.Key, "de"},
		{string(bad), commands.SettingPrefix.Key, "abc"},
		{string(bad), commands.SettingReplies.Key, "threads please"},
		{string(bad), commands.SettingAnnouncements.Key, "maybe"},
		{string(bad), "colour", "blue"},
	} {
		if _, err := db.Exec(ctx, upsertSettingQuery, row[0], row[1], row[2]); err != nil {
			t.Fatal(err)
		}
	}
	table := newSettingsTable(db, cfg, zerolog.Nop())
	if err := table.load(ctx); err != nil {
		t.Fatal(err)
	}
	defaults := commands.DefaultSettings(content.FR, "!!")
	if got := table.get(bad); got != defaults {
		t.Errorf("settings with invalid stored values = %+v, want the defaults %+v", got, defaults)
	}
	want := commands.Settings{Language: content.EN, Prefix: "?", Replies: "plain", Announcements: true}
	if got := table.get(good); got != want {
		t.Errorf("settings = %+v, want %+v", got, want)
	}
	if got := table.get("!unknown:x"); got != defaults {
		t.Errorf("settings of an unknown room = %+v, want the defaults", got)
	}

	// SetSetting checks against the declarations and stores the canonical
	// value.
	r := &matrixRoom{bot: &Bot{settings: table}, id: bad}
	for key, value := range map[string]string{commands.SettingLanguage.Key: "de", commands.SettingPrefix.Key: "a", commands.SettingReplies.Key: "x", "colour": "blue", "direct": "true"} {
		if err := r.SetSetting(ctx, key, value); err == nil {
			t.Errorf("SetSetting(%s, %s) accepted", key, value)
		}
	}
	if err := r.SetSetting(ctx, commands.SettingLanguage.Key, "English"); err != nil {
		t.Fatal(err)
	}
	if v := table.raw(bad, commands.SettingLanguage.Key); v != "en" {
		t.Errorf("stored language = %q, want the canonical en", v)
	}
}
