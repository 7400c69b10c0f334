package bot

import (
	"context"
	"fmt"
	"slices"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/commands"
)

// matrixRoom is commands.Room for one message in one Matrix room.
type matrixRoom struct {
	bot    *Bot
	id     id.RoomID
	sender id.UserID
	direct bool
}

var _ commands.Room = (*matrixRoom)(nil)

func (r *matrixRoom) Settings() commands.Settings { return r.bot.settings.get(r.id) }

// SetSetting checks key and value against the declarations (the commands
// package has already, but this keeps the table clean whoever calls it) and
// stores the value in its canonical form.
func (r *matrixRoom) SetSetting(ctx context.Context, key, value string) error {
	s := r.bot.settings.defaults
	if err := s.Apply(key, value); err != nil {
		return err
	}
	value = commands.LookupSetting(key).Current(s)
	if key == commands.SettingAnnouncements.Key && value == "on" && r.bot.settings.raw(r.id, key) != "on" {
		if err := r.bot.subscribed(ctx, r.id); err != nil {
			return err
		}
	}
	return r.bot.settings.set(ctx, r.id, key, value)
}

// MayChangeSettings: admins anywhere, the other member of a DM, otherwise
// power level ≥ bot.settings_power_level.
func (r *matrixRoom) MayChangeSettings(ctx context.Context) (bool, int, error) {
	needed := r.bot.cfg.Bot.SettingsPowerLevel
	if slices.Contains(r.bot.cfg.Bot.Admins, r.sender.String()) || r.direct {
		return true, needed, nil
	}
	pl, err := r.bot.powerLevels(ctx, r.id)
	if err != nil {
		return false, needed, err
	}
	return pl.GetUserLevel(r.sender) >= needed, needed, nil
}

// powerLevels reads the room's power levels from the state store, asking
// the homeserver when they are not cached.
func (b *Bot) powerLevels(ctx context.Context, room id.RoomID) (*event.PowerLevelsEventContent, error) {
	pl, err := b.client.StateStore.GetPowerLevels(ctx, room)
	if err == nil && pl != nil {
		return pl, nil
	}
	pl = &event.PowerLevelsEventContent{}
	if err := b.client.StateEvent(ctx, room, event.StatePowerLevels, "", pl); err != nil {
		return nil, fmt.Errorf("fetching power levels: %w", err)
	}
	return pl, nil
}
