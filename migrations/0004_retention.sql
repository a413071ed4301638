-- Retention deletes a finished job together with its callback delivery. Callbacks are found
-- by their job: a partial index over callback rows only (kind 3), so the event and job
-- deliveries of the hot path add no entries to it.
CREATE INDEX deliveries_callback_job ON deliveries (job_id) WHERE kind = 3;
