-- v0 -> v2: Latest revision

-- One row per (room, setting) that differs from the configured default.
CREATE TABLE room_settings (
    room_id TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (room_id, key)
);

-- Small values the runtime keeps between restarts: the sync token and
-- filter when encryption is off, the device ID, whether cross-signing ran.
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The outbox: one row per event that asked the bot to do something (answer
-- a command, edit or redact an answer, join, leave...). A row is written
-- before the sync token that delivered its event is saved, and marked done
-- once the work is accepted by the homeserver. Only IDs, no message text.
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
