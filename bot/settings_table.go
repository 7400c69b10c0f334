package bot

import (
	"context"
	"fmt"
	"sync"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/config"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// settingsTable is room_settings, fronted by a cache holding every row: the
// per-message path reads settings without touching the database.
type settingsTable struct {
	db       *dbutil.Database
	log      zerolog.Logger
	defaults commands.Settings

	mu    sync.RWMutex
	rooms map[id.RoomID]map[string]string // the stored rows
	// resolved holds each room's settings with the defaults filled in,
	// recomputed when a row changes, so get is one map read.
	resolved map[id.RoomID]commands.Settings
}

const (
	loadSettingsQuery  = `SELECT room_id, key, value FROM room_settings`
	upsertSettingQuery = `
		INSERT INTO room_settings (room_id, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (room_id, key) DO UPDATE SET value=excluded.value
	`
	deleteRoomSettingsQuery = `DELETE FROM room_settings WHERE room_id=$1`
	copyRoomSettingsQuery   = `
		INSERT INTO room_settings (room_id, key, value)
		SELECT $2, key, value FROM room_settings WHERE room_id=$1
		ON CONFLICT (room_id, key) DO NOTHING
	`
)

func newSettingsTable(db *dbutil.Database, cfg config.BotConfig, log zerolog.Logger) *settingsTable {
	lang, _ := content.ParseLang(cfg.DefaultLanguage)
	return &settingsTable{
		db:       db,
		log:      log,
		defaults: commands.DefaultSettings(lang, cfg.Prefix),
		rooms:    map[id.RoomID]map[string]string{},
		resolved: map[id.RoomID]commands.Settings{},
	}
}

func (t *settingsTable) load(ctx context.Context) error {
	rows, err := t.db.Query(ctx, loadSettingsQuery)
	if err != nil {
		return fmt.Errorf("loading room settings: %w", err)
	}
	defer rows.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	for rows.Next() {
		var room id.RoomID
		var key, value string
		if err := rows.Scan(&room, &key, &value); err != nil {
			return fmt.Errorf("loading room settings: %w", err)
		}
		if t.rooms[room] == nil {
			t.rooms[room] = map[string]string{}
		}
		t.rooms[room][key] = value
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading room settings: %w", err)
	}
	for room := range t.rooms {
		t.resolve(room, true)
	}
	return nil
}

// resolve recomputes a room's settings from its rows; the caller holds mu.
// A stored value the declarations (commands.SettingDefs) no longer accept
// (an older version's, or edited by hand) leaves that setting at its
// default; loading says so once.
func (t *settingsTable) resolve(room id.RoomID, logInvalid bool) {
	s := t.defaults
	for key, value := range t.rooms[room] {
		if err := s.Apply(key, value); err != nil && logInvalid {
			t.log.Debug().Err(err).Stringer("room_id", room).Msg("Ignoring a stored setting; the default applies")
		}
	}
	t.resolved[room] = s
}

// get returns a room's settings with the defaults filled in.
func (t *settingsTable) get(room id.RoomID) commands.Settings {
	t.mu.RLock()
	s, ok := t.resolved[room]
	t.mu.RUnlock()
	if !ok {
		return t.defaults
	}
	return s
}

func (t *settingsTable) raw(room id.RoomID, key string) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.rooms[room][key]
}

// withValue lists the rooms where key is set to value.
func (t *settingsTable) withValue(key, value string) []id.RoomID {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var rooms []id.RoomID
	for room, kv := range t.rooms {
		if kv[key] == value {
			rooms = append(rooms, room)
		}
	}
	return rooms
}

// set stores one value: the database first, so the cache never holds
// something a restart would lose.
func (t *settingsTable) set(ctx context.Context, room id.RoomID, key, value string) error {
	if _, err := t.db.Exec(ctx, upsertSettingQuery, room, key, value); err != nil {
		return fmt.Errorf("storing setting %s: %w", key, err)
	}
	t.mu.Lock()
	if t.rooms[room] == nil {
		t.rooms[room] = map[string]string{}
	}
	t.rooms[room][key] = value
	t.resolve(room, false)
	t.mu.Unlock()
	return nil
}

// forget drops a room the bot left, so that a later re-invite starts fresh.
func (t *settingsTable) forget(ctx context.Context, room id.RoomID) error {
	if _, err := t.db.Exec(ctx, deleteRoomSettingsQuery, room); err != nil {
		return fmt.Errorf("deleting settings: %w", err)
	}
	t.mu.Lock()
	delete(t.rooms, room)
	delete(t.resolved, room)
	t.mu.Unlock()
	return nil
}

// copy gives room to the settings of room from (a room upgraded to a new
// one); settings to has already are kept.
func (t *settingsTable) copy(ctx context.Context, from, to id.RoomID) error {
	if _, err := t.db.Exec(ctx, copyRoomSettingsQuery, from, to); err != nil {
		return fmt.Errorf("copying settings: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, value := range t.rooms[from] {
		if t.rooms[to] == nil {
			t.rooms[to] = map[string]string{}
		}
		if _, ok := t.rooms[to][key]; !ok {
			t.rooms[to][key] = value
		}
	}
	t.resolve(to, false)
	return nil
}
