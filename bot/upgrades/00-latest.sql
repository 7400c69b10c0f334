-- v0 -> v1: Latest revision

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

-- Commands already answered, so that a sync batch fetched again after a
-- crash or a failed send is never answered twice. Only IDs, no content.
CREATE TABLE answered_event (
    event_id    TEXT PRIMARY KEY,
    answered_at BIGINT NOT NULL,
    -- false from the claim until the homeserver accepted the answer: a
    -- row still false after a crash means "look in the room, then resend"
    sent        BOOLEAN NOT NULL
);
