package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"go.mau.fi/util/dbutil"
)

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
