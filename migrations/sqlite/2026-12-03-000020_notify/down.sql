DROP TABLE job_runs;
DROP TABLE job_leases;
DROP TABLE outbox;
DROP TABLE webhook_endpoints;
DROP TABLE organisation_notify_settings;
DROP TABLE notification_settings;
