-- Notifications: per-user channels and filters, per-organisation thresholds
-- and webhook endpoints, the durable outbox every delivery goes through, and
-- the job leases that let one server run each scheduled job tick.

CREATE TABLE notification_settings (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    email_enabled BOOLEAN NOT NULL,
    stream_enabled BOOLEAN NOT NULL,
    min_urgency TEXT NOT NULL,
    sectors TEXT NOT NULL,
    products TEXT NOT NULL,
    tags TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE organisation_notify_settings (
    organisation_id TEXT PRIMARY KEY NOT NULL REFERENCES organisations (id),
    min_urgency TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    label TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organisation_id);

-- One row per delivery: channel email (target = user id), webhook (target =
-- endpoint id) or stream (target = user id, read by the SSE endpoint).
-- (channel, target, dedupe_key) is unique: the same event never reaches the
-- same place twice.
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    user_id TEXT,
    organisation_id TEXT,
    dedupe_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (channel, target, dedupe_key);
CREATE INDEX outbox_due ON outbox (channel, state, next_attempt_at);
CREATE INDEX outbox_stream ON outbox (target, channel, seq);

-- One row per scheduled job: who holds it and which tick it last ran.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY NOT NULL,
    holder TEXT,
    last_tick TIMESTAMP NOT NULL,
    held_until TIMESTAMP
);

-- History of job ticks that ran, for admins and for the one-runner test.
CREATE TABLE job_runs (
    id TEXT PRIMARY KEY NOT NULL,
    job TEXT NOT NULL,
    tick TIMESTAMP NOT NULL,
    holder TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT
);
CREATE INDEX job_runs_job ON job_runs (job, tick);
