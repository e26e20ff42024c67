-- Lease mode: an in-progress record is committed with a lease judged on the database clock; every
-- takeover of an expired lease increments the fencing token, and only the holder of the current token
-- may store the outcome.
ALTER TABLE idempotency_record ADD COLUMN lease_expires_at DATETIME(6);
ALTER TABLE idempotency_record ADD COLUMN fencing_token BIGINT NOT NULL DEFAULT 0;
