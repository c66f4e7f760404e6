-- Federation: how to reach each peer and how it proves who it is; pull
-- cursors per peer collection; per-peer sync state.
ALTER TABLE peers ADD COLUMN server_id TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN collections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE peers ADD COLUMN push_collection TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN schedule TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN sector_map TEXT NOT NULL DEFAULT '{}';
ALTER TABLE peers ADD COLUMN ca_file TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN client_cert_file TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN client_key_file TEXT NOT NULL DEFAULT '';
-- The token this server presents to the peer (a secret the peer issued).
ALTER TABLE peers ADD COLUMN outbound_token TEXT;
-- SHA-256 of the token the peer presents to this server.
ALTER TABLE peers ADD COLUMN inbound_token_hash TEXT;
-- SHA-256 (hex) of the peer's TLS client certificate (DER).
ALTER TABLE peers ADD COLUMN client_cert_sha256 TEXT;
CREATE UNIQUE INDEX peers_inbound_token_hash ON peers (inbound_token_hash);
CREATE UNIQUE INDEX peers_client_cert_sha256 ON peers (client_cert_sha256);

-- Where a pull (collection id) or push (`push:` + collection id) stands: advanced
-- in the transaction that stores the objects.
CREATE TABLE peer_cursors (
    peer_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    position TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (peer_id, collection)
);

CREATE TABLE peer_state (
    peer_id TEXT PRIMARY KEY NOT NULL,
    last_attempt_at TIMESTAMP,
    last_success_at TIMESTAMP,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    objects_received BIGINT NOT NULL DEFAULT 0,
    objects_sent BIGINT NOT NULL DEFAULT 0,
    bytes_received BIGINT NOT NULL DEFAULT 0
);
