package loadtest

import (
	"database/sql"
	"os"
	"strings"
	"testing"
)

// The homeserver's database is a new one on the server, reachable at the
// URL returned, and gone after drop; a bad URL is refused without being
// repeated (it may hold a password).
func TestHomeserverDB(t *testing.T) {
	if _, _, err := homeserverDB(t.Context(), "mysql://bot:s3cret@127.0.0.1/x"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a mysql URL: err = %v, want a refusal that does not repeat the URL", err)
	}
	admin := os.Getenv("GUIDEBOT_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("GUIDEBOT_REQUIRE_POSTGRES") != "" {
			t.Fatal("GUIDEBOT_REQUIRE_POSTGRES is set but GUIDEBOT_TEST_POSTGRES is not")
		}
		t.Skip("no PostgreSQL server: set GUIDEBOT_TEST_POSTGRES (.ci/run does)")
	}
	url, drop, err := homeserverDB(t.Context(), admin)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil || !strings.HasPrefix(name, "guidebot_load_hs_") {
		t.Errorf("connected to %q (%v), want a new guidebot_load_hs_ database", name, err)
	}
	db.Close()
	drop()
	adm, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	var n int
	if err := adm.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil || n != 0 {
		t.Errorf("after drop, %d databases named %s (%v), want none", n, name, err)
	}
}
