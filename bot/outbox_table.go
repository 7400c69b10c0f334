package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
)

// jobKind says what an outbox row asks the bot to do.
type jobKind string

const (
	kindAnswer  jobKind = "answer"   // answer the command in event_id
	kindEdit    jobKind = "edit"     // event_id edits the command target: edit its answer
	kindRedact  jobKind = "redact"   // event_id redacts the command target: redact its answer
	kindNotice  jobKind = "notice"   // event_id could not be decrypted: say so
	kindKeyWait jobKind = "key_wait" // event_id waits for its room key; becomes answer or done
	kindJoin    jobKind = "join"     // event_id invites the bot
	kindReject  jobKind = "reject"   // event_id invites the bot, from someone not allowed
	kindLeave   jobKind = "leave"    // event_id may have left the bot alone in the room
	kindUpgrade jobKind = "upgrade"  // event_id tombstones the room: follow to target
)

// jobState is where a row stands.
type jobState string

const (
	statePending jobState = "pending"
	stateDone    jobState = "done"   // sent, or nothing left to do
	stateFailed  jobState = "failed" // given up: a permanent error or the retry budget spent
)

// outboxRow is one row of the outbox table.
type outboxRow struct {
	EventID  id.EventID
	RoomID   id.RoomID
	Kind     jobKind
	Target   string // edit/redact: the command's event; upgrade: the new room
	State    jobState
	AnswerID id.EventID
	Seq      int64
}

const (
	insertOutboxQuery = `
		INSERT INTO outbox (event_id, room_id, kind, target, state, seq, created_at)
		VALUES ($1, $2, $3, $4, 'pending', $5, $6)
		ON CONFLICT (event_id) DO NOTHING
	`
	// A key_wait row becomes the job its decrypted event asks for.
	resolveKeyWaitQuery = `
		UPDATE outbox SET kind=$2, target=$3 WHERE event_id=$1 AND kind='key_wait' AND state='pending'
	`
	hasOutboxQuery     = `SELECT EXISTS(SELECT 1 FROM outbox WHERE event_id=$1)`
	pendingOutboxQuery = `SELECT event_id, room_id, kind, target, state, answer_id, seq FROM outbox WHERE state='pending' ORDER BY seq`
	finishOutboxQuery  = `UPDATE outbox SET state=$2, answer_id=$3 WHERE event_id=$1`
	// The answer to a command: its own row, or the row of the edit that
	// made it a command.
	answerForQuery = `
		SELECT event_id, room_id, kind, target, state, answer_id, seq FROM outbox
		WHERE (event_id=$1 OR target=$1) AND kind='answer' AND state<>'failed'
		ORDER BY seq LIMIT 1
	`
	settleKeyWaitQuery = `UPDATE outbox SET state='done' WHERE event_id=$1 AND kind='key_wait' AND state='pending'`
	pruneOutboxQuery   = `DELETE FROM outbox WHERE state<>'pending' AND created_at < $1`
)

// outboxKeep is how long finished rows are kept: they stop a batch fetched
// again from being answered twice, and let an edit or a redaction find the
// answer of a command sent that long ago.
const outboxKeep = 14 * 24 * time.Hour

// outboxTable is the SQL side of the outbox.
type outboxTable struct{ db *dbutil.Database }

func scanOutboxRow(row dbutil.Scannable) (*outboxRow, error) {
	var r outboxRow
	err := row.Scan(&r.EventID, &r.RoomID, &r.Kind, &r.Target, &r.State, &r.AnswerID, &r.Seq)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// insert records rows as pending, in one transaction, and returns those
// that were new. A row already there (a batch fetched again) is left as it
// is, except that a key_wait row takes the kind of a decrypted event.
func (t outboxTable) insert(ctx context.Context, rows []*outboxRow) ([]*outboxRow, error) {
	var fresh []*outboxRow
	now := time.Now().UnixMilli()
	err := t.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		fresh = fresh[:0]
		for _, r := range rows {
			res, err := t.db.Exec(ctx, insertOutboxQuery, r.EventID, r.RoomID, r.Kind, r.Target, r.Seq, now)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 && r.Kind != kindKeyWait {
				if res, err = t.db.Exec(ctx, resolveKeyWaitQuery, r.EventID, r.Kind, r.Target); err != nil {
					return err
				}
				if n, err = res.RowsAffected(); err != nil {
					return err
				}
			}
			if n == 1 {
				fresh = append(fresh, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recording work in the outbox: %w", err)
	}
	return fresh, nil
}

// has reports whether eventID has a row, whatever its state.
func (t outboxTable) has(ctx context.Context, eventID id.EventID) (bool, error) {
	var ok bool
	if err := t.db.QueryRow(ctx, hasOutboxQuery, eventID).Scan(&ok); err != nil {
		return false, fmt.Errorf("reading the outbox: %w", err)
	}
	return ok, nil
}

// answerFor returns the answer row of the command cmd (pending or done),
// or nil.
func (t outboxTable) answerFor(ctx context.Context, cmd id.EventID) (*outboxRow, error) {
	r, err := scanOutboxRow(t.db.QueryRow(ctx, answerForQuery, cmd))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	return r, nil
}

// settleKeyWait marks a key_wait row done: its event turned out to ask
// nothing of the bot.
func (t outboxTable) settleKeyWait(ctx context.Context, eventID id.EventID) error {
	if _, err := t.db.Exec(ctx, settleKeyWaitQuery, eventID); err != nil {
		return fmt.Errorf("updating the outbox: %w", err)
	}
	return nil
}

// pending lists the rows still to do, oldest first.
func (t outboxTable) pending(ctx context.Context) ([]*outboxRow, error) {
	rows, err := t.db.Query(ctx, pendingOutboxQuery)
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	defer rows.Close()
	var out []*outboxRow
	for rows.Next() {
		r, err := scanOutboxRow(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the outbox: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	return out, nil
}

// finish marks a row done or failed, with the event the bot sent, if any.
func (t outboxTable) finish(ctx context.Context, eventID id.EventID, state jobState, answer id.EventID) error {
	if _, err := t.db.Exec(ctx, finishOutboxQuery, eventID, state, answer); err != nil {
		return fmt.Errorf("updating the outbox: %w", err)
	}
	return nil
}

func (t outboxTable) prune(ctx context.Context) error {
	if _, err := t.db.Exec(ctx, pruneOutboxQuery, time.Now().Add(-outboxKeep).UnixMilli()); err != nil {
		return fmt.Errorf("pruning the outbox: %w", err)
	}
	return nil
}
