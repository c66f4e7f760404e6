-- Auto-publish rules: a member organisation's submissions of one kind are
-- published without an analyst when the anonymiser found nothing to redact.
CREATE TABLE auto_publish_rules (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    tlp TEXT NOT NULL,
    require_indicators BOOLEAN NOT NULL,
    sectors TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX auto_publish_rules_organisation ON auto_publish_rules (organisation_id, kind);
