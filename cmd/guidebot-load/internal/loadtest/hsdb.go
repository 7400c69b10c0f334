package loadtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	_ "github.com/lib/pq" // PostgreSQL driver, for the homeserver's database
)

// homeserverDB makes a database of its own for one mode's Dendrite on the
// PostgreSQL server at admin (a URL naming a database the tool may create
// others from) and returns its URL, and a function dropping it.
func homeserverDB(ctx context.Context, admin string) (dbURL string, drop func(), err error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// the URL may hold a password: name the flag, not the value
		return "", nil, fmt.Errorf("-homeserver-postgres: not a postgres:// URL")
	}
	db, err := sql.Open("postgres", admin)
	if err != nil {
		return "", nil, fmt.Errorf("-homeserver-postgres: %w", err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "guidebot_load_hs_" + hex.EncodeToString(suffix)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("creating the homeserver's database: %w", err)
	}
	u.Path = "/" + name
	drop = func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	}
	return u.String(), drop, nil
}
