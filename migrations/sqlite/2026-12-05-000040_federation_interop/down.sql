ALTER TABLE advisories DROP COLUMN origin;
