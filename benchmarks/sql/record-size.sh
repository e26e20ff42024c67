#!/usr/bin/env bash
# Bytes per record and per index entry of the idempotency table before and after the migration V6 (the compact
# record), on PostgreSQL, and how long that migration takes: for each size (1M and 10M records by default), a
# fresh database gets the migrations V1 to V5, is filled with completed records as the previous release stored
# them (the benchmark client's 81-character scope, keys fill-0000000001 on, a 201 with Content-Type and
# Location and a 127-byte body, each expiring a microsecond after the one before, as records written one by one
# do), vacuumed and measured; then V6 runs on it, timed, and the table is measured
# again. Records written by this release are smaller still (their headers in the compact form): the benchmarks'
# table part measures those (java -jar benchmarks/target/benchmarks.jar table --ten-million).
# Run from the project's root. Needs psql; PostgreSQL as the benchmarks use it (PGHOST, PGPORT, PGUSER).
# Usage: benchmarks/sql/record-size.sh [records...]
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
schema=idempotency-jdbc/src/main/resources/dev/idempotency/jdbc/schema/postgresql
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
db=record_size_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cleanup() { psql -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT

measure() { # label, records
  psql -d "$db" -qAtF ' ' -c "SELECT
      round(pg_table_size('idempotency_record')::numeric / $2, 1),
      round(pg_relation_size(i.pk)::numeric / $2, 1),
      round(pg_relation_size(i.expiry)::numeric / $2, 1),
      round(pg_total_relation_size('idempotency_record')::numeric / $2, 1),
      pg_size_pretty(pg_total_relation_size('idempotency_record'))
    FROM (SELECT 'idempotency_record_pk'::regclass AS pk, 'idempotency_record_expires_at_idx'::regclass AS expiry) i" |
    while read -r heap pk expiry total pretty; do
      printf '| %s | %s | %s | %s | %s | %s (%s) |\n' "$2" "$1" "$heap" "$pk" "$expiry" "$total" "$pretty"
    done
}

echo "| records | schema | rows (with TOAST) bytes/record | primary key bytes/entry | expiry index bytes/entry | total bytes/record (size) |"
echo "|--:|---|--:|--:|--:|--:|"
for records in "${sizes[@]}"; do
  cleanup
  psql -d postgres -qc "CREATE DATABASE $db"
  for version in 1 2 3 4 5; do psql -d "$db" -q -v ON_ERROR_STOP=1 -f "$schema"/V${version}__*.sql; done
  psql -d "$db" -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO idempotency_record (scope, idempotency_key, fingerprint_version, fingerprint, state, response_status,
    response_headers, response_body, created_at, expires_at, lease_expires_at, fencing_token)
SELECT 'header:x-client-id:' || repeat('5e', 31), 'fill-' || lpad(g::text, 10, '0'), 1, sha256(g::text::bytea),
    'COMPLETED', 201, '[["Content-Type","application/json"],["Location","/posts/0"]]',
    convert_to('{"id":0,"account_id":"acct-fill","content":"a post stored long ago, to make the table big","created_at":"2026-01-01T00:00:00Z"}', 'UTF8'),
    now(), now() + interval '1 hour' + g * interval '1 microsecond', NULL, 1
FROM generate_series(1, $records) g;
VACUUM ANALYZE idempotency_record;
SQL
  measure "version 5" "$records"
  started=$(date +%s.%N)
  psql -d "$db" -q -v ON_ERROR_STOP=1 -1 -f "$schema"/V6__compact_record.sql
  migrated=$(date +%s.%N)
  psql -d "$db" -qc "VACUUM ANALYZE idempotency_record"
  measure "version 6, migrated" "$records"
  printf '| | V6 on %s records took %.1f s |\n' "$records" "$(echo "$migrated - $started" | bc)"
done
