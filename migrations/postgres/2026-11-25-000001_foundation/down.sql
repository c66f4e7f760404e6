DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE server_secrets;
DROP TABLE peers;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE organisations;
