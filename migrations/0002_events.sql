-- Routed events: what a source endpoint accepted, byte-for-byte, and the links it skipped.
CREATE TABLE events (
  id              uuid PRIMARY KEY,
  project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  source          text NOT NULL,                 -- the source's slug
  event_type      text NOT NULL DEFAULT '',
  headers         text NOT NULL DEFAULT '{}',    -- incoming headers, JSON object (lower-cased names)
  query           text NOT NULL DEFAULT '{}',    -- query parameters, JSON object
  body            bytea NOT NULL,                -- exactly the bytes received
  content_type    text,
  idempotency_key text,
  received_at     timestamptz NOT NULL,
  UNIQUE (source, idempotency_key)
);
CREATE INDEX events_project_received ON events (project_id, received_at DESC);
CREATE INDEX events_received ON events (received_at DESC);

-- Links that matched the source but made no delivery.
CREATE TABLE event_skips (
  event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  destination text NOT NULL,
  reason      text NOT NULL
);
CREATE INDEX event_skips_event ON event_skips (event_id);

-- Event deliveries carry what the transform produced: the type, extra headers (JSON
-- object) and the source. A NULL body means "the event's body as received".
ALTER TABLE deliveries ADD COLUMN event_type text;
ALTER TABLE deliveries ADD COLUMN headers text;
ALTER TABLE deliveries ADD COLUMN source text;
CREATE INDEX deliveries_event ON deliveries (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX deliveries_project_created ON deliveries (project_id, created_at DESC);
CREATE INDEX deliveries_dead_destination ON deliveries (project_id, destination) WHERE status = 'DEAD';
