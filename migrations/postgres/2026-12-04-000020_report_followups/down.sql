DROP TABLE followup_messages;
DROP TABLE followup_threads;
DROP TABLE report_publications;
