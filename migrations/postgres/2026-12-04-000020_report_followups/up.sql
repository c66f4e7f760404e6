-- Pseudonymous follow-up on published reports: another member asks a
-- question or adds a sighting, the submitter answers; neither learns the
-- other's identity. Analysts see both.

-- The shared STIX ids (report, incident) under which a raw report was
-- published: how a member's reference finds the thread's report without
-- ever learning the raw id.
CREATE TABLE report_publications (
    stix_id TEXT PRIMARY KEY NOT NULL,
    report_row TEXT NOT NULL REFERENCES reports (id)
);
CREATE INDEX report_publications_report ON report_publications (report_row);

-- One thread per published report and asking organisation; the pseudonym
-- is how the submitter sees the asker in this thread only.
CREATE TABLE followup_threads (
    id TEXT PRIMARY KEY NOT NULL,
    report_row TEXT NOT NULL REFERENCES reports (id),
    report_ref TEXT NOT NULL,
    asker_org TEXT NOT NULL REFERENCES organisations (id),
    pseudonym TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (report_row, asker_org)
);
CREATE INDEX followup_threads_asker ON followup_threads (asker_org, updated_at);

-- Each message keeps what its author wrote (raw) and what the other side
-- sees (shared, anonymised with the author's organisation profile).
CREATE TABLE followup_messages (
    id TEXT PRIMARY KEY NOT NULL,
    thread_id TEXT NOT NULL REFERENCES followup_threads (id),
    seq INTEGER NOT NULL,
    side TEXT NOT NULL,
    kind TEXT NOT NULL,
    author_user TEXT NOT NULL REFERENCES users (id),
    author_org TEXT NOT NULL REFERENCES organisations (id),
    raw_text TEXT NOT NULL,
    shared_text TEXT NOT NULL,
    raw_sighting TEXT,
    shared_sighting TEXT,
    redactions TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (thread_id, seq)
);
