-- Schedules (contracts/http-api.md "Schedules"): a cron expression in a time zone that makes
-- an ordinary job at each tick. next_fire_at is the next tick no job was made for yet (NULL
-- while paused); a node's ticker makes that job a little ahead of the tick, so it fires from
-- the delivery heap at its millisecond like any job.
CREATE TABLE schedules (
  id              uuid PRIMARY KEY,
  project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  title           text NOT NULL,
  webhook_url     text NOT NULL,
  payload         text NOT NULL,
  headers         text,
  callback_url    text,
  redact_response boolean NOT NULL DEFAULT false,
  cron            text NOT NULL,
  timezone        text NOT NULL,
  paused          boolean NOT NULL DEFAULT false,
  next_fire_at    timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX schedules_project_created ON schedules (project_id, created_at DESC);
CREATE INDEX schedules_next ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- A schedule's jobs: no foreign key, as a deleted schedule's jobs stay. schedule_tick is the
-- tick a job was made for; the unique index makes a tick one job whatever the nodes do (a job
-- withdrawn before its tick, by a pause or an edit, gives its tick up: schedule_tick NULL).
ALTER TABLE jobs ADD COLUMN schedule_id uuid;
ALTER TABLE jobs ADD COLUMN schedule_tick bigint;
CREATE UNIQUE INDEX jobs_schedule_tick ON jobs (schedule_id, schedule_tick)
  WHERE schedule_tick IS NOT NULL;
CREATE INDEX jobs_schedule_fire ON jobs (schedule_id, fire_at DESC) WHERE schedule_id IS NOT NULL;
