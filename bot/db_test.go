package bot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/guidebot/guidebot/bot/config"
)

// A second bot on the same database is refused with a clear error while
// the first holds it, and may start once the first has let go.
func TestDatabaseLock(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) config.DatabaseConfig
	}{
		{"sqlite3", func(t *testing.T) config.DatabaseConfig {
			return config.DatabaseConfig{Type: "sqlite3", URI: filepath.Join(t.TempDir(), "guidebot.db")}
		}},
		{"postgres", func(t *testing.T) config.DatabaseConfig {
			return config.DatabaseConfig{Type: "postgres", URI: freshDatabase(t, postgresServer(t))}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg(t)
			db, lock, err := openDatabase(ctx, cfg, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := openDatabase(ctx, cfg, zerolog.Nop()); !errors.Is(err, errLocked) {
				t.Fatalf("second open while the first runs: %v, want %v", err, errLocked)
			}
			lock.release()
			_ = db.Close()
			db2, lock2, err := openDatabase(ctx, cfg, zerolog.Nop())
			if err != nil {
				t.Fatalf("open after the first stopped: %v", err)
			}
			lock2.release()
			_ = db2.Close()
		})
	}
}

// The SQLite database and its -wal and -shm files hold the encryption
// keys: only the bot's user may read them, even when the file existed with
// a wider mode.
func TestSQLiteFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		existing os.FileMode // 0: no file before the bot starts
	}{
		{"new database", 0},
		{"existing world-readable file", 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "guidebot.db")
			if tc.existing != 0 {
				if err := os.WriteFile(path, nil, tc.existing); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			db, lock, err := openDatabase(ctx, config.DatabaseConfig{Type: "sqlite3", URI: path}, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { lock.release(); _ = db.Close() }()
			// a write, so that SQLite has made its -wal and -shm files
			if _, err := db.Exec(ctx, "CREATE TABLE probe (x INTEGER)"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(p), err)
				}
				if perm := st.Mode().Perm(); perm != 0o600 {
					t.Errorf("%s: mode %04o, want 0600", filepath.Base(p), perm)
				}
			}
		})
	}
}
