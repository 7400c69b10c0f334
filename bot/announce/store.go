package announce

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"

	"github.com/guidebot/guidebot/content"
)

//go:embed upgrades/*.sql
var upgrades embed.FS

var upgradeTable = dbutil.BuildUpgradeTable().WithFSPath(upgrades, "upgrades").Finish()

// Progress is how far one room's announcements have gone.
type Progress struct {
	RoomID    string
	LastID    string       // newest entry sent, or the version the room subscribed at
	LastDate  content.Date // that entry's date
	PendingID string       // newest entry of a send not yet confirmed; "" when none
}

const (
	getProgressQuery = `
		SELECT room_id, last_id, last_date, pending_id FROM announcement_progress WHERE room_id=$1`
	startQuery = `
		INSERT INTO announcement_progress (room_id, last_id, last_date, pending_id) VALUES ($1, $2, $3, '')
		ON CONFLICT (room_id) DO UPDATE SET last_id=excluded.last_id, last_date=excluded.last_date, pending_id=''`
	setPendingQuery = `UPDATE announcement_progress SET pending_id=$2 WHERE room_id=$1`
	advanceQuery    = `UPDATE announcement_progress SET last_id=$2, last_date=$3, pending_id='' WHERE room_id=$1`
	copyQuery       = `
		INSERT INTO announcement_progress (room_id, last_id, last_date, pending_id)
		SELECT $2, last_id, last_date, '' FROM announcement_progress WHERE room_id=$1
		ON CONFLICT (room_id) DO NOTHING`
)

// Store keeps announcement progress in the bot's database, in a table of
// its own with its own version table.
type Store struct {
	db *dbutil.Database
}

// NewStore upgrades the progress table in db and returns the store.
func NewStore(ctx context.Context, db *dbutil.Database, log zerolog.Logger) (*Store, error) {
	child := db.Child("guidebot_announce_version", upgradeTable, dbutil.ZeroLogger(log))
	if err := child.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("upgrade announcement tables: %w", err)
	}
	return &Store{db: child}, nil
}

// Get returns a room's progress; ok is false for a room never subscribed.
func (s *Store) Get(ctx context.Context, roomID string) (p Progress, ok bool, err error) {
	var date string
	err = s.db.QueryRow(ctx, getProgressQuery, roomID).Scan(&p.RoomID, &p.LastID, &date, &p.PendingID)
	if errors.Is(err, sql.ErrNoRows) {
		return Progress{}, false, nil
	} else if err != nil {
		return Progress{}, false, fmt.Errorf("read announcement progress: %w", err)
	}
	if date == "" { // subscribed while the change log was empty
		return p, true, nil
	}
	if p.LastDate.Time, err = time.Parse(time.DateOnly, date); err != nil {
		return Progress{}, false, fmt.Errorf("announcement progress of %s: bad date %q: %w", roomID, date, err)
	}
	return p, true, nil
}

// Start marks a room as up to date with set: called when it subscribes, so
// it gets what changes from now on and not the backlog.
func (s *Store) Start(ctx context.Context, roomID string, set *content.Set) error {
	id, date := "", ""
	if len(set.Changes) > 0 {
		id, date = set.Changes[0].ID, set.Changes[0].Date.String()
	}
	if _, err := s.db.Exec(ctx, startQuery, roomID, id, date); err != nil {
		return fmt.Errorf("start announcements: %w", err)
	}
	return nil
}

// Copy gives room to the progress of room from (a room upgraded to a new
// one), unless to has progress of its own already.
func (s *Store) Copy(ctx context.Context, from, to string) error {
	if _, err := s.db.Exec(ctx, copyQuery, from, to); err != nil {
		return fmt.Errorf("copy announcement progress: %w", err)
	}
	return nil
}

func (s *Store) setPending(ctx context.Context, roomID, id string) error {
	if _, err := s.db.Exec(ctx, setPendingQuery, roomID, id); err != nil {
		return fmt.Errorf("record pending announcement: %w", err)
	}
	return nil
}

func (s *Store) advance(ctx context.Context, roomID string, c *content.Change) error {
	if _, err := s.db.Exec(ctx, advanceQuery, roomID, c.ID, c.Date.String()); err != nil {
		return fmt.Errorf("record sent announcement: %w", err)
	}
	return nil
}
