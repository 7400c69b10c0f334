package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"maunium.net/go/mautrix/id"

	"github.com/guidebot/guidebot/bot/announce"
	"github.com/guidebot/guidebot/commands"
	"github.com/guidebot/guidebot/content"
)

// announcePace is the pause between two rooms' announcements, so that
// hundreds of subscribed rooms do not trip the homeserver's rate limits.
const announcePace = 300 * time.Millisecond

// setupAnnouncements prepares the announcer over the bot's database.
func (b *Bot) setupAnnouncements(ctx context.Context) error {
	store, err := announce.NewStore(ctx, b.db, b.log.With().Str("db_section", "announce").Logger())
	if err != nil {
		return err
	}
	b.announcer = &announce.Announcer{
		Store:  store,
		Sender: b,
		Rooms:  b.subscribedRooms,
		Pace:   announcePace,
		Log:    b.log.With().Str("component", "announce").Logger(),
		Sent:   b.obs.announcement,
	}
	return nil
}

// runAnnouncements reloads the content and announces what is new, on the
// schedule and whenever reload receives (SIGHUP), until ctx ends.
func (b *Bot) runAnnouncements(ctx context.Context, reload <-chan struct{}, load func() (*content.Set, error)) {
	var sched cron.Schedule // nil: only on reload
	if b.cfg.Announcements.Schedule != "" {
		var err error
		sched, err = announce.ParseSchedule(b.cfg.Announcements.Schedule, b.cfg.Announcements.Timezone)
		if err != nil {
			// Validate already checked it; never reached in practice.
			b.log.Error().Err(err).Msg("Scheduled announcements off: bad schedule")
		}
	}
	announce.Every(ctx, sched, announce.RealClock, reload, func(ctx context.Context) {
		if err := b.announcer.Refresh(ctx, load, b.engine.SetContent); err != nil {
			b.log.Error().Err(err).Msg("Content refresh failed")
		}
	})
}

// SendAnnouncement implements announce.Sender: an m.notice with no reply
// relation, sent in the room's turn in the outbox (after the answers
// queued before it) through the one send path, with a transaction ID
// derived from the announcer's key, so that a retry after a crash is
// recognised by the homeserver instead of sent twice.
func (b *Bot) SendAnnouncement(ctx context.Context, roomID, key string, reply commands.Reply) error {
	room := id.RoomID(roomID)
	err := b.outbox.call(ctx, room, func(ctx context.Context) error {
		_, err := b.send(ctx, outgoing{room: room, content: announcementContent(reply), txnID: txnID("announce", key)})
		return err
	})
	if err != nil {
		return fmt.Errorf("sending announcement: %w", err)
	}
	return nil
}

// subscribedRooms lists the joined rooms whose announcements setting is on.
func (b *Bot) subscribedRooms(ctx context.Context) ([]announce.Room, error) {
	var rooms []announce.Room
	for _, room := range b.settings.withValue(commands.SettingAnnouncements.Key, "on") {
		if !b.client.StateStore.IsInRoom(ctx, room, b.client.UserID) {
			continue // kicked or left: nothing can be sent there
		}
		rooms = append(rooms, announce.Room{ID: room.String(), Lang: b.settings.get(room).Language})
	}
	return rooms, nil
}

// subscribed is called when a room turns announcements on: it starts from
// the current content version, not the whole backlog.
func (b *Bot) subscribed(ctx context.Context, room id.RoomID) error {
	if b.announcer == nil {
		return nil
	}
	return b.announcer.Store.Start(ctx, room.String(), b.engine.Content())
}
