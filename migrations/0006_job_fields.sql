-- Seed 000's job fields (contracts/http-api.md "Job fields from seed 000"): the job's own
-- headers (JSON object, sent with every attempt), whether attempts keep response bodies, and
-- the job's own retention (hard-deleted that long after it finished; NULL: the project's).
ALTER TABLE jobs ADD COLUMN headers text;
ALTER TABLE jobs ADD COLUMN redact_response boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN retention_ms bigint;
-- The purger finds jobs with a retention of their own per project; few jobs have one.
CREATE INDEX jobs_own_retention ON jobs (project_id, created_at) WHERE retention_ms IS NOT NULL;
