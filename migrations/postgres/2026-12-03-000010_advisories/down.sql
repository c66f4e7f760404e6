DROP TABLE reassessment_steps;
DROP TABLE reassessment_tasks;
DROP TABLE risk_register_history;
DROP TABLE risk_register;
DROP TABLE member_technologies;
DROP TABLE member_profiles;
DROP TABLE advisories;
