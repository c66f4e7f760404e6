DROP TABLE auto_publish_rules;
