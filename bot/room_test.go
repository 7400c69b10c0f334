package bot

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// TestStoredSettings: the table reads stored values through the settings'
// declarations: a value no longer valid falls back to the default, others
// are kept, and the internal direct flag never leaks into the settings.
func TestStoredSettings(t *testing.T) {
	ctx := context.Background()
	db, lock, err := openDatabase(ctx, DatabaseConfig{Type: "sqlite3", URI: filepath.Join(t.TempDir(), "s.db")}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(); lock.release() })
	cfg := DefaultConfig().Bot
	cfg.DefaultLanguage, cfg.Prefix = "fr", "!!"
	const good, bad = id.RoomID("!good:x"), id.RoomID("!bad:x")
	for _, row := range [][3]string{
		{string(good), SettingLanguage, "en"},
		{string(good), SettingPrefix, "?"},
		{string(good), SettingReplies, "plain"},
		{string(good), SettingAnnouncements, "on"},
		{string(good), "direct", "true"}, // an older version's is_direct flag: ignored now
		// written by hand or by an older version
		{string(bad), SettingLanguage, "de"},
		{string(bad), SettingPrefix, "abc"},
		{string(bad), SettingReplies, "threads please"},
		{string(bad), SettingAnnouncements, "maybe"},
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
	for key, value := range map[string]string{SettingLanguage: "de", SettingPrefix: "a", SettingReplies: "x", "colour": "blue", "direct": "true"} {
		if err := r.SetSetting(ctx, key, value); err == nil {
			t.Errorf("SetSetting(%s, %s) accepted", key, value)
		}
	}
	if err := r.SetSetting(ctx, SettingLanguage, "English"); err != nil {
		t.Fatal(err)
	}
	if v := table.raw(bad, SettingLanguage); v != "en" {
		t.Errorf("stored language = %q, want the canonical en", v)
	}
}
