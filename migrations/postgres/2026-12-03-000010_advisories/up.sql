-- Advisories (情報提供), member profiles for matching, the risk register
-- (handbook 様式６) and urgent reassessment tasks.

CREATE TABLE advisories (
    id TEXT PRIMARY KEY NOT NULL,
    stix_id TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    urgency TEXT NOT NULL,
    tlp TEXT NOT NULL,
    -- The analyst's draft (AdvisoryDraft JSON) as last saved or published.
    content TEXT NOT NULL,
    -- STIX `modified` of the last version put into the shared store.
    stix_modified TEXT,
    created_by TEXT NOT NULL,
    withdrawn_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE UNIQUE INDEX advisories_stix_id ON advisories (stix_id);
CREATE INDEX advisories_state ON advisories (state, updated_at);

CREATE TABLE member_profiles (
    organisation_id TEXT PRIMARY KEY NOT NULL REFERENCES organisations (id),
    critical_systems TEXT NOT NULL DEFAULT '[]',
    contacts TEXT NOT NULL DEFAULT '[]',
    updated_at TIMESTAMP NOT NULL
);

-- Technologies in use, normalised to CPE 2.3; vendor is the lower-cased
-- vendor (NULL when ANY or a pattern) so matching can narrow by index.
CREATE TABLE member_technologies (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    product TEXT NOT NULL,
    cpe TEXT NOT NULL,
    vendor TEXT,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX member_technologies_cpe ON member_technologies (organisation_id, cpe);
CREATE INDEX member_technologies_vendor ON member_technologies (vendor);

CREATE TABLE risk_register (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    threat_event TEXT NOT NULL,
    risk_source TEXT,
    impact INTEGER NOT NULL,
    likelihood INTEGER NOT NULL,
    residual_impact INTEGER NOT NULL,
    residual_likelihood INTEGER NOT NULL,
    criterion INTEGER NOT NULL,
    measures TEXT NOT NULL,
    owner TEXT NOT NULL,
    technology TEXT,
    technology_vendor TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX risk_register_org ON risk_register (organisation_id, created_at);
CREATE INDEX risk_register_threat ON risk_register (threat_event);
CREATE INDEX risk_register_source ON risk_register (risk_source);
CREATE INDEX risk_register_tech ON risk_register (technology_vendor);

-- Every past value of an entry's residual risk, and what changed it.
CREATE TABLE risk_register_history (
    id TEXT PRIMARY KEY NOT NULL,
    entry_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    residual_impact INTEGER NOT NULL,
    residual_likelihood INTEGER NOT NULL,
    cause TEXT NOT NULL,
    decision TEXT,
    note TEXT NOT NULL
);
CREATE INDEX risk_register_history_entry ON risk_register_history (entry_id, at);

-- One task per concerned member and urgent advisory. The flagged entries
-- and answers are JSON: a publication writes one row per member, which keeps
-- matching 10,000 members within the time budget.
CREATE TABLE reassessment_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    state TEXT NOT NULL,
    deadline TIMESTAMP NOT NULL,
    reasons TEXT NOT NULL,
    entries TEXT NOT NULL,
    answers TEXT NOT NULL DEFAULT '[]',
    note TEXT,
    requested_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    reassessed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reassessment_tasks_member ON reassessment_tasks (advisory_id, organisation_id);
CREATE INDEX reassessment_tasks_open ON reassessment_tasks (state, deadline);
CREATE INDEX reassessment_tasks_org ON reassessment_tasks (organisation_id, requested_at);

-- Reminder and escalation steps the sweep took: at most one of each per task.
CREATE TABLE reassessment_steps (
    task_id TEXT NOT NULL REFERENCES reassessment_tasks (id),
    step TEXT NOT NULL,
    recipients TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (task_id, step)
);
