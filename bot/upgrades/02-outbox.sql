-- v1 -> v2: A durable outbox replaces answered_event
CREATE TABLE outbox (
    event_id   TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL,
    answer_id  TEXT NOT NULL DEFAULT '',
    seq        BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_state_idx ON outbox (state);
CREATE INDEX outbox_target_idx ON outbox (target);
-- answered_event kept no room ID, so an answer it still had unsent cannot
-- be resumed; such a row is kept as done, as every answered one.
INSERT INTO outbox (event_id, room_id, kind, state, seq, created_at)
    SELECT event_id, '', 'answer', 'done', answered_at, answered_at FROM answered_event;
DROP TABLE answered_event;
