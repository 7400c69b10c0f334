package bot

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/guidebot/guidebot/bot/config"
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
func openDatabase(ctx context.Context, cfg config.DatabaseConfig, log zerolog.Logger) (*dbutil.Database, *dbLock, error) {
	dcfg := dbutil.Config{PoolConfig: dbutil.PoolConfig{Type: "postgres", URI: cfg.URI, MaxOpenConns: 10, MaxIdleConns: 2}}
	if cfg.Type == "sqlite3" {
		if err := createPrivate(sqlitePath(cfg.URI)); err != nil {
			return nil, nil, err
		}
		uri := cfg.URI
		if !strings.HasPrefix(uri, "file:") {
			// immediate transactions avoid SQLITE_BUSY on lock upgrades
			uri = "file:" + uri + "?_txlock=immediate"
		}
		dcfg.PoolConfig = dbutil.PoolConfig{Type: "sqlite3-fk-wal", URI: uri, MaxOpenConns: 5, MaxIdleConns: 2}
	}
	db, err := dbutil.NewFromConfig("guidebot", dcfg, dbutil.ZeroLogger(log.With().Str("db_section", "main").Logger()))
	if err != nil {
		// The driver's message can quote the URI, password included.
		return nil, nil, fmt.Errorf("opening the %s database failed (check database.uri)", cfg.Type)
	}
	// Lock before the upgrade: two bots must not both upgrade the schema.
	lock, err := lockDatabase(ctx, db, cfg)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	child := db.Child("guidebot_version", upgradeTable, dbutil.ZeroLogger(log.With().Str("db_section", "guidebot").Logger()))
	if err = child.Upgrade(ctx); err != nil {
		lock.release()
		_ = db.Close()
		return nil, nil, fmt.Errorf("upgrading database: %w", err)
	}
	return db, lock, nil
}

// sqlitePath is the file a SQLite URI names.
func sqlitePath(uri string) string {
	p := strings.TrimPrefix(uri, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// createPrivate makes sure the SQLite database and its -wal and -shm files
// are readable by the bot's user only: they hold the encryption keys.
// SQLite gives the -wal and -shm files the database file's mode.
func createPrivate(path string) error {
	if path == "" || path == ":memory:" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the database file: %w", err)
	}
	_ = f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("making %s private: %w", p, err)
			}
		}
	}
	return nil
}

// dbLock keeps a second bot from running on the same database: two would
// answer every command twice and fight over the encryption keys.
type dbLock struct {
	file *os.File  // SQLite: an exclusive lock on a file beside the database
	conn *sql.Conn // PostgreSQL: the session holding an advisory lock
}

// lockKey is the PostgreSQL advisory lock's key ("guidebot" in ASCII).
const lockKey = 0x6775696465626f74

var errLocked = errors.New("another guidebot is already running on this database; stop it first")

func lockDatabase(ctx context.Context, db *dbutil.Database, cfg config.DatabaseConfig) (*dbLock, error) {
	if cfg.Type == "sqlite3" {
		path := sqlitePath(cfg.URI)
		if path == "" || path == ":memory:" {
			return &dbLock{}, nil
		}
		f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening the database lock file: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errLocked
			}
			return nil, fmt.Errorf("locking the database: %w", err)
		}
		return &dbLock{file: f}, nil
	}
	conn, err := db.RawDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking the database: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", int64(lockKey)).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("locking the database: %w", err)
	}
	if !got {
		_ = conn.Close()
		return nil, errLocked
	}
	return &dbLock{conn: conn}, nil
}

func (l *dbLock) release() {
	if l.file != nil {
		_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
		_ = l.file.Close()
	}
	if l.conn != nil {
		_, _ = l.conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", int64(lockKey))
		_ = l.conn.Close()
	}
}
