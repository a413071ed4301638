-- Encryption at rest (contracts/config.md "Encryption"): a row written for a project with
-- encrypt_payloads: true names the master key its sealed fields are under; NULL: plaintext.
-- core/store/sealer.h lists the sealed fields. `dispatch rekey` moves rows to the first key.
ALTER TABLE events ADD COLUMN key_id text;
ALTER TABLE jobs ADD COLUMN key_id text;
ALTER TABLE schedules ADD COLUMN key_id text;
ALTER TABLE deliveries ADD COLUMN key_id text;
ALTER TABLE attempts ADD COLUMN key_id text;
