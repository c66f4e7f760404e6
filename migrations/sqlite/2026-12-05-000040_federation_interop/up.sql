-- Federation, continued. An advisory imported from a peer names the server
-- it was published on (its provenance origin); NULL for our own. Only the
-- origin amends or withdraws an imported advisory.
ALTER TABLE advisories ADD COLUMN origin TEXT;

-- HTTP Basic credentials for peers that take them (any TAXII 2.1 server,
-- e.g. the OASIS reference server medallion), and plain HTTP, allowed only
-- for a peer on a loopback address.
ALTER TABLE peers ADD COLUMN basic_username TEXT NOT NULL DEFAULT '';
ALTER TABLE peers ADD COLUMN basic_password TEXT;
ALTER TABLE peers ADD COLUMN allow_insecure_http BOOLEAN NOT NULL DEFAULT 0;
