-- Liaison digests (issue 9): the archive of scheduled digests. One row per
-- period kind, period start and recipient scope (the sorted sector list, or
-- `*`), so a digest is stored, and mailed, once even when two servers race.
CREATE TABLE digests (
    id TEXT PRIMARY KEY NOT NULL,
    period TEXT NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    scope TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (period, period_start, scope)
);
CREATE INDEX digests_by_start ON digests (period_start);
