-- A delivery's own body (what a transform produced) is sent as its bytes, whatever they are
-- (contracts/transforms.md), so it is stored as bytes like the event's body: `text` refused a
-- body that was not valid UTF-8 or held a NUL, and the whole event was lost with it.
ALTER TABLE deliveries ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8');
