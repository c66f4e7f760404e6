-- Federation, continued. An advisory imported from a peer names the server
-- it was published on (its provenance origin); NULL for our own. Only the
-- origin amends or withdraws an imported advisory.
ALTER TABLE advisories ADD COLUMN origin TEXT;
