DROP TABLE report_revisions;
DROP TABLE reports;
