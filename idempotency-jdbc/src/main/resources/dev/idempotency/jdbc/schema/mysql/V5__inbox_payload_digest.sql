-- The SHA-256 of the payload a message was applied with, so that a sender reusing a message id for another
-- payload is told so (JdbcInbox.process with a payload) instead of being answered as a duplicate. NULL for
-- markers recorded without a payload, and for every marker recorded before this column existed: those keep
-- answering any later delivery of their id as a duplicate, as they did when they were written.
ALTER TABLE idempotency_inbox ADD COLUMN payload_sha256 VARBINARY(32);
