-- The shared store: every version of every STIX object, with what the
-- sharing policy needs beside the object itself.
-- date_added is microseconds since the epoch, unique, and assigned under the
-- ingest lock, so it increases in commit order: paging by it never skips or
-- repeats an object while writers insert.
CREATE TABLE stix_objects (
    date_added BIGINT PRIMARY KEY NOT NULL,
    object_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    version TEXT NOT NULL,
    is_latest BOOLEAN NOT NULL,
    is_first BOOLEAN NOT NULL,
    revoked BOOLEAN NOT NULL,
    valid_until BIGINT,
    tlp TEXT NOT NULL,
    tlp_rank INTEGER NOT NULL,
    sectors TEXT NOT NULL,
    audiences TEXT NOT NULL,
    recipients TEXT NOT NULL,
    published BOOLEAN NOT NULL,
    submitter_org TEXT,
    hops TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX stix_objects_version ON stix_objects (object_id, version);
CREATE INDEX stix_objects_type ON stix_objects (object_type, date_added);

-- Which collections an object version appears in, ordered like the store.
CREATE TABLE collection_members (
    collection_id TEXT NOT NULL,
    date_added BIGINT NOT NULL REFERENCES stix_objects (date_added) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, date_added)
);
CREATE INDEX collection_members_object ON collection_members (date_added);

-- TAXII status resources: the outcome of each POST, kept for the poster.
CREATE TABLE taxii_status (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    request_timestamp BIGINT NOT NULL,
    total_count INTEGER NOT NULL,
    success_count INTEGER NOT NULL,
    failure_count INTEGER NOT NULL,
    pending_count INTEGER NOT NULL,
    details TEXT NOT NULL
);
