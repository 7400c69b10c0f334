package bot

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guidebot/guidebot/bot/internal/dendrite"
)

// startPostgres runs a throwaway PostgreSQL cluster for one test and
// returns its connection URI. The tests that need it skip when PostgreSQL
// is not installed (initdb and pg_ctl on PATH or under
// /usr/lib/postgresql/*/bin), unless GUIDEBOT_REQUIRE_POSTGRES is set.
func startPostgres(t *testing.T) string {
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
	port, err := dendrite.FreePort()
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
	return func(c *Config) { c.Database.Type, c.Database.URI = "postgres", uri }
}

// TestPostgres runs the encrypted restart scenario and the per-room
// settings on PostgreSQL: the same schema, the crypto store and the state
// store included.
func TestPostgres(t *testing.T) {
	needHomeserver(t)
	uri := startPostgres(t)
	restartScenario(t, true, withPostgres(uri))
	if !strings.HasPrefix(uri, "postgres://") {
		t.Fatal(uri)
	}
}
