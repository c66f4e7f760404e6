-- The table comes back empty: which collections existed is configuration,
-- not in the database, so the rows cannot be rebuilt here.
CREATE TABLE collection_members (
    collection_id TEXT NOT NULL,
    date_added BIGINT NOT NULL REFERENCES stix_objects (date_added) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, date_added)
);
CREATE INDEX collection_members_object ON collection_members (date_added);
