package bot

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"

	_ "github.com/lib/pq"                // postgres driver
	_ "go.mau.fi/util/dbutil/litestream" // registers sqlite3-fk-wal (cgo)
)

//go:embed upgrades/*.sql
var upgrades embed.FS

var upgradeTable = dbutil.BuildUpgradeTable().WithFSPath(upgrades, "upgrades").Finish()

// openDatabase opens the one database the bot shares with mautrix's state
// and crypto stores, and brings the bot's own tables up to date.
func openDatabase(ctx context.Context, cfg DatabaseConfig, log zerolog.Logger) (*dbutil.Database, error) {
	dcfg := dbutil.Config{PoolConfig: dbutil.PoolConfig{Type: "postgres", URI: cfg.URI, MaxOpenConns: 10, MaxIdleConns: 2}}
	if cfg.Type == "sqlite3" {
		uri := cfg.URI
		if !strings.HasPrefix(uri, "file:") {
			// immediate transactions avoid SQLITE_BUSY on lock upgrades
			uri = "file:" + uri + "?_txlock=immediate"
		}
		dcfg.PoolConfig = dbutil.PoolConfig{Type: "sqlite3-fk-wal", URI: uri, MaxOpenConns: 5, MaxIdleConns: 2}
	}
	db, err := dbutil.NewFromConfig("guidebot", dcfg, dbutil.ZeroLogger(log.With().Str("db_section", "main").Logger()))
	if err != nil {
		return nil, fmt.Errorf("opening %s database: %w", cfg.Type, err)
	}
	child := db.Child("guidebot_version", upgradeTable, dbutil.ZeroLogger(log.With().Str("db_section", "guidebot").Logger()))
	if err = child.Upgrade(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("upgrading database: %w", err)
	}
	return db, nil
}

// stateTable is bot_state: a tiny key/value table.
type stateTable struct{ db *dbutil.Database }

const (
	getStateQuery = `SELECT value FROM bot_state WHERE key=$1`
	putStateQuery = `
		INSERT INTO bot_state (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value=excluded.value
	`
)

func (t stateTable) get(ctx context.Context, key string) (string, error) {
	var v string
	err := t.db.QueryRow(ctx, getStateQuery, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("reading %s: %w", key, err)
	}
	return v, nil
}

func (t stateTable) put(ctx context.Context, key, value string) error {
	if _, err := t.db.Exec(ctx, putStateQuery, key, value); err != nil {
		return fmt.Errorf("storing %s: %w", key, err)
	}
	return nil
}

// answeredTable is answered_event: the IDs of commands already answered.
type answeredTable struct{ db *dbutil.Database }

const (
	hasAnsweredQuery     = `SELECT EXISTS(SELECT 1 FROM answered_event WHERE event_id=$1)`
	claimAnsweredQuery   = `INSERT INTO answered_event (event_id, answered_at, sent) VALUES ($1, $2, false) ON CONFLICT (event_id) DO NOTHING`
	sentAnsweredQuery    = `SELECT sent FROM answered_event WHERE event_id=$1`
	markSentQuery        = `UPDATE answered_event SET sent=true WHERE event_id=$1`
	unclaimAnsweredQuery = `DELETE FROM answered_event WHERE event_id=$1`
	pruneAnsweredQuery   = `DELETE FROM answered_event WHERE answered_at < $1`
)

// answeredKeep is how long answered IDs are kept: far longer than any
// batch can be fetched twice.
const answeredKeep = 14 * 24 * time.Hour

// has reports whether eventID was answered.
func (t answeredTable) has(ctx context.Context, eventID string) (bool, error) {
	var done bool
	if err := t.db.QueryRow(ctx, hasAnsweredQuery, eventID).Scan(&done); err != nil {
		return false, fmt.Errorf("checking answered event: %w", err)
	}
	return done, nil
}

// claim records eventID as answered and reports whether it was new.
func (t answeredTable) claim(ctx context.Context, eventID string) (bool, error) {
	res, err := t.db.Exec(ctx, claimAnsweredQuery, eventID, time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("claiming event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claiming event: %w", err)
	}
	return n == 1, nil
}

// unclaim forgets eventID after its answer could not be sent, so that the
// retried batch answers it.
func (t answeredTable) unclaim(ctx context.Context, eventID string) error {
	if _, err := t.db.Exec(ctx, unclaimAnsweredQuery, eventID); err != nil {
		return fmt.Errorf("unclaiming event: %w", err)
	}
	return nil
}

func (t answeredTable) prune(ctx context.Context) error {
	if _, err := t.db.Exec(ctx, pruneAnsweredQuery, time.Now().Add(-answeredKeep).UnixMilli()); err != nil {
		return fmt.Errorf("pruning answered events: %w", err)
	}
	return nil
}

func (t answeredTable) isSent(ctx context.Context, eventID string) (bool, error) {
	var sent bool
	if err := t.db.QueryRow(ctx, sentAnsweredQuery, eventID).Scan(&sent); err != nil {
		return false, fmt.Errorf("checking answered event: %w", err)
	}
	return sent, nil
}

func (t answeredTable) markSent(ctx context.Context, eventID string) error {
	if _, err := t.db.Exec(ctx, markSentQuery, eventID); err != nil {
		return fmt.Errorf("marking event sent: %w", err)
	}
	return nil
}
