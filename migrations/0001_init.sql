-- Dispatch schema v1: projects, API keys, jobs, and the one delivery engine's tables.
-- Timestamps are timestamptz; the engine speaks Unix milliseconds through two helpers.
CREATE FUNCTION ms_to_ts(ms bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT 'epoch'::timestamptz + ms * interval '1 millisecond' $$;
CREATE FUNCTION ts_to_ms(ts timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT floor(extract(epoch FROM ts) * 1000)::bigint $$;

CREATE TABLE projects (
  id         uuid PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY,
  project_id   uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key_hash     bytea NOT NULL UNIQUE,          -- SHA-256 of the whole key
  last4        text NOT NULL,
  label        text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_project ON api_keys (project_id, created_at);

CREATE TABLE jobs (
  id              uuid PRIMARY KEY,            -- also the id of its delivery
  project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  title           text NOT NULL,
  webhook_url     text NOT NULL,
  payload         text NOT NULL,               -- raw JSON object, byte-for-byte as received
  fire_at         timestamptz NOT NULL,
  callback_url    text,
  idempotency_key text,
  created_at      timestamptz NOT NULL,
  UNIQUE (project_id, idempotency_key)
);
CREATE INDEX jobs_project_created ON jobs (project_id, created_at DESC);
CREATE INDEX jobs_created ON jobs (created_at DESC);

-- One row per message to deliver: a job, a routed event for one destination, a callback.
-- State machine: SCHEDULED → FIRING → SUCCESS | FAILED (retry armed) → … → DEAD; SCHEDULED → CANCELLED.
-- A claim is a lease (lease_until); lease_seq fences a worker whose lease was taken over.
CREATE TABLE deliveries (
  id           uuid PRIMARY KEY,
  project_id   uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind         smallint NOT NULL,              -- 1 job, 2 event, 3 callback
  job_id       uuid,
  event_id     uuid,
  destination  text,
  url          text NOT NULL,
  message_id   text NOT NULL,                  -- webhook-id: stable across retries
  body         text,                           -- what to send (jobs build theirs per attempt)
  status       text NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  due_at       timestamptz NOT NULL,
  lease_until  timestamptz,
  lease_seq    bigint NOT NULL DEFAULT 0,
  last_error   text,
  last_code    integer,
  fired_at     timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE status IN ('SCHEDULED', 'FAILED');
CREATE INDEX deliveries_lease ON deliveries (lease_until) WHERE status = 'FIRING';
CREATE INDEX deliveries_job ON deliveries (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE attempts (
  id            uuid PRIMARY KEY,
  delivery_id   uuid NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  attempt       integer NOT NULL,
  status        text NOT NULL,                 -- SUCCESS or FAILED
  response_code integer,
  response_body text,
  fired_at      timestamptz NOT NULL,
  duration_ms   integer NOT NULL,
  error         text
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, attempt DESC);
