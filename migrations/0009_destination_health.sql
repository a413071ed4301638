-- Destination health, pause and the circuit breaker (contracts/http-api.md "Destinations:
-- health, pause, circuit breaker"; docs/architecture.md "Destination health").
--
-- A held delivery waits in its state (SCHEDULED or FAILED, its due time kept) and is neither
-- claimed nor armed: its destination is paused or its circuit is open. The claim index leaves
-- held rows out, so a long pause with a large backlog costs the claims nothing.
ALTER TABLE deliveries ADD COLUMN held boolean NOT NULL DEFAULT false;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (due_at)
  WHERE status IN ('SCHEDULED', 'FAILED') AND NOT held;
CREATE INDEX deliveries_held ON deliveries (project_id, destination, due_at) WHERE held;
-- `pending` in GET /api/v1/destinations: the open deliveries of each destination.
CREATE INDEX deliveries_open_destination ON deliveries (project_id, destination)
  WHERE status IN ('SCHEDULED', 'FAILED', 'FIRING') AND destination IS NOT NULL;

-- One row per destination that was ever paused, tripped or attempted. `circuit` is closed,
-- open or half-open; `trial_id` the one delivery let through while half-open (NULL: the next
-- one to come takes the slot).
CREATE TABLE destination_states (
  project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  destination     text NOT NULL,
  paused          boolean NOT NULL DEFAULT false,
  circuit         text NOT NULL DEFAULT 'closed' CHECK (circuit IN ('closed', 'open', 'half-open')),
  opened_at       timestamptz,
  trial_id        uuid,
  last_success_at timestamptz,
  last_failure_at timestamptz,
  last_error      text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, destination)
);

-- Attempts and successes per destination and minute, written by each node once a second;
-- GET /api/v1/destinations sums the last hour. Rows older than two hours are deleted.
CREATE TABLE destination_minutes (
  project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  destination text NOT NULL,
  minute      timestamptz NOT NULL,
  attempts    bigint NOT NULL DEFAULT 0,
  successes   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, destination, minute)
);
