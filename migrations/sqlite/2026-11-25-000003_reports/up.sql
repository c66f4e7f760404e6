-- The private raw store of member reports (情報連絡) and their review.
-- A row is visible to its organisation and this server's analysts only; what
-- is shared is the sanitised copy, published into stix_objects.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    submitted_by TEXT NOT NULL REFERENCES users (id),
    idempotency_key TEXT,
    state TEXT NOT NULL,
    revision INTEGER NOT NULL,
    kind TEXT NOT NULL,
    sector TEXT NOT NULL,
    title TEXT NOT NULL,
    raw TEXT NOT NULL,
    sanitised TEXT NOT NULL,
    sanitised_stix TEXT NOT NULL,
    redactions TEXT NOT NULL,
    thresholds TEXT NOT NULL,
    tlp TEXT NOT NULL,
    reason TEXT,
    published_tlp TEXT,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reports_idempotency ON reports (organisation_id, idempotency_key);
CREATE UNIQUE INDEX reports_report_id ON reports (organisation_id, report_id);
CREATE INDEX reports_state ON reports (state, updated_at);

-- Every revision the submitter sent, for the record.
CREATE TABLE report_revisions (
    report_row TEXT NOT NULL REFERENCES reports (id),
    revision INTEGER NOT NULL,
    raw TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (report_row, revision)
);
