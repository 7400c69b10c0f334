package bot

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/guidebot/guidebot/bot/bottest"
	"github.com/guidebot/guidebot/bot/config"
)

// postgresServer returns the URI of a PostgreSQL server for the tests:
// $GUIDEBOT_TEST_POSTGRES when set (CI starts one), else a throwaway
// cluster started for this test. Without either, the test skips — unless
// GUIDEBOT_REQUIRE_POSTGRES is set, when it fails.
func postgresServer(t testing.TB) string {
	t.Helper()
	if uri := os.Getenv("GUIDEBOT_TEST_POSTGRES"); uri != "" {
		return uri
	}
	return startPostgres(t)
}

// databaseSeq numbers the databases freshDatabase creates.
var databaseSeq atomic.Int64

// freshDatabase creates an empty database on the server at uri and returns
// its URI: each bot needs its own (the crypto and state stores assume one
// account per database).
func freshDatabase(t testing.TB, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", uri)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("guidebot_test_%d_%d", os.Getpid(), databaseSeq.Add(1))
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("postgres", uri); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		}
	})
	u.Path = "/" + name
	return u.String()
}

// startPostgres runs a throwaway PostgreSQL cluster for one test and
// returns its connection URI. It skips when PostgreSQL is not installed
// (initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin), unless
// GUIDEBOT_REQUIRE_POSTGRES is set.
func startPostgres(t testing.TB) string {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		if os.Getenv("GUIDEBOT_REQUIRE_POSTGRES") != "" {
			t.Fatal("PostgreSQL (initdb, pg_ctl) not found; install it (Debian: apt-get install postgresql)")
		}
		t.Skip("PostgreSQL not installed (initdb, pg_ctl not found)")
	}
	dir, err := os.MkdirTemp("", "guidebot-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// PostgreSQL refuses to run as root: run it as the postgres user.
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if os.Geteuid() == 0 {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v: %s", err, out)
		}
	}
	data := filepath.Join(dir, "data")
	run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
	port, err := bottest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	run("pg_ctl", "-D", data, "-w", "-l", filepath.Join(dir, "log"),
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir), "start")
	t.Cleanup(func() { run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop") })
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

func postgresBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(r)
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1])
	}
	return ""
}

func withPostgres(uri string) botOption {
	return func(c *config.Config) { c.Database.Type, c.Database.URI = "postgres", uri }
}

// TestPostgres runs the encrypted restart scenario and the per-room
// settings on PostgreSQL: the same schema, the crypto store and the state
// store included.
func TestPostgres(t *testing.T) {
	needHomeserver(t)
	uri := freshDatabase(t, postgresServer(t))
	restartScenario(t, true, withPostgres(uri))
}
