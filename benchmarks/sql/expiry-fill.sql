-- Appends :n records to :tbl as if written at :rate per second: expires_at rises with the series, and
-- continues after the newest record (an empty table starts so that its records have just expired).
-- Option B stores expires_at rounded up to the whole second.
SELECT CASE WHEN :'opt' = 'B' THEN 'second' ELSE 'microseconds' END AS unit,
       CASE WHEN :'opt' = 'B' THEN 999999 ELSE 0 END AS pad \gset
SELECT coalesce(max(expires_at), now() - make_interval(secs => :n::float8 / :rate)) AS base FROM :tbl \gset
INSERT INTO :tbl (expires_at, created_at, fingerprint_version, response_status, key_digest, fingerprint, response)
SELECT e, e - interval '1 hour', 1, 200, gen_random_uuid(), sha256(uuid_send(gen_random_uuid())),
       convert_to(repeat('r', 200), 'UTF8')
FROM (SELECT date_trunc(:'unit', :'base'::timestamptz + make_interval(secs => g::float8 / :rate) + :pad * interval '1 microsecond') AS e
      FROM generate_series(1, :n) g) s;
