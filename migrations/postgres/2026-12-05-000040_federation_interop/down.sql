ALTER TABLE peers DROP COLUMN allow_insecure_http;
ALTER TABLE peers DROP COLUMN basic_password;
ALTER TABLE peers DROP COLUMN basic_username;
ALTER TABLE advisories DROP COLUMN origin;
