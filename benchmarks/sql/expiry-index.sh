#!/usr/bin/env bash
# Which expiry index on idempotency_record costs least to keep up while the purge stays cheap.
#
# PostgreSQL options: A b-tree on expires_at (microsecond values), B b-tree with the values rounded up to whole
# seconds (deduplicated into posting lists), C BRIN (pages_per_range 128), C32 BRIN (pages_per_range 32),
# D no expiry index. MariaDB options: A, B, D.
#
# For each table size: fill each option's table with INSERT ... SELECT (expires_at rising at RATE rows per
# second), report index size and bytes per entry, time and buffers of one 1000-row purge batch when far
# behind (half the table expired), then run CYCLES purge/refill cycles (a quarter of the rows each, vacuum in
# between, so new rows reuse the freed space) and report purge batch and capped count when caught up (nothing
# expired). On the first size the insert throughput (16 clients, one row per transaction, RUNS rounds of
# DURATION seconds, options alternating) and the WAL bytes per insert are measured too.
#
# Environment (defaults in brackets): PGHOST [127.0.0.1] PGPORT [5432] PGUSER [postgres] PGADMINDB [test]
# MYHOST [127.0.0.1] MYPORT [3306] MYUSER [root] MYPASSWORD [empty] DB [expiry_bench]
# SIZES ["1000000"] PG_OPTIONS ["A B C C32 D"] MY_OPTIONS ["A B D"] ENGINES ["pg my"]
# RATE [1000] CYCLES [4] RUNS [3] DURATION [30] CLIENTS [16] THROUGHPUT [1]
# The database DB is created on both servers and dropped at the end.
set -euo pipefail
cd "$(dirname "$0")"

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PGADMINDB=${PGADMINDB:-test}
MYHOST=${MYHOST:-127.0.0.1} MYPORT=${MYPORT:-3306} MYUSER=${MYUSER:-root} MYPASSWORD=${MYPASSWORD:-}
DB=${DB:-expiry_bench}
SIZES=${SIZES:-1000000}
PG_OPTIONS=${PG_OPTIONS:-A B C C32 D}
MY_OPTIONS=${MY_OPTIONS:-A B D}
ENGINES=${ENGINES:-pg my}
RATE=${RATE:-1000} CYCLES=${CYCLES:-4} RUNS=${RUNS:-3} DURATION=${DURATION:-30} CLIENTS=${CLIENTS:-16}
THROUGHPUT=${THROUGHPUT:-1}

export MYSQL_PWD=$MYPASSWORD
pg() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
my() { mariadb -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" -N -B "$DB" "$@"; }
log() { echo "[$(date +%T)] $*" >&2; }
out=$(mktemp)
row() { printf '%s\n' "$*" >> "$out"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
  printf "%.0f (%.0f-%.0f)", m, a[1], a[NR]}'; }

cleanup() {
  case " $ENGINES " in *" pg "*) psql -X -q -d "$PGADMINDB" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true;; esac
  case " $ENGINES " in *" my "*) mariadb -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true;; esac
  rm -f "$out"
}
trap cleanup EXIT

# ---------------------------------------------------------------- PostgreSQL
pg_table() { # name option
  local ppr=128; [ "$2" = C32 ] && ppr=32
  pg -v tbl="$1" -v opt="${2:0:1}" -v ppr="$ppr" -f expiry-table.sql >/dev/null
}
pg_fill() { pg -v tbl="$1" -v opt="${2:0:1}" -v n="$3" -v rate="$RATE" -f expiry-fill.sql >/dev/null; }
pg_idx_size() { pg -c "SELECT coalesce(pg_relation_size(to_regclass('${1}_exp')), 0)"; }
# EXPLAIN (ANALYZE, BUFFERS) inside a transaction that is rolled back; the second of two runs (warm cache).
# Prints "ms buffers" of the top plan node (shared hit + read).
pg_explain() {
  local sql="BEGIN; EXPLAIN (ANALYZE, BUFFERS) $1; ROLLBACK;" res
  pg -c "$sql" >/dev/null
  res=$(pg -c "$sql")
  awk '/Buffers:/ && !b {b=1; h=0; r=0; if (match($0, /hit=[0-9]+/)) h=substr($0, RSTART+4, RLENGTH-4);
         if (match($0, /read=[0-9]+/)) r=substr($0, RSTART+5, RLENGTH-5); buf=h+r}
       /Execution Time:/ {ms=$3} END {printf "%.2f %d", ms, buf}' <<< "$res"
}
pg_purge_sql() { echo "DELETE FROM $1 WHERE key_digest IN (SELECT key_digest FROM $1 WHERE expires_at <= '$2'
  AND (lease_expires_at IS NULL OR lease_expires_at <= clock_timestamp()) FETCH FIRST 1000 ROWS ONLY FOR UPDATE SKIP LOCKED)"; }
pg_count_sql() { echo "SELECT count(*) FROM (SELECT 1 FROM $1 WHERE expires_at <= '$2' FETCH FIRST 10000 ROWS ONLY) e"; }

pg_size() { # rows
  local n=$1 o t rows idx cut far cnt
  for o in $PG_OPTIONS; do
    t=rec_$(tr A-Z a-z <<< "$o")
    log "pg $n $o: fill"
    pg_table "$t" "$o"; pg_fill "$t" "$o" "$n"; pg -c "VACUUM ANALYZE $t"
    rows=$(pg -c "SELECT count(*) FROM $t"); idx=$(pg_idx_size "$t")
    cut=$(pg -c "SELECT expires_at FROM $t ORDER BY expires_at OFFSET $((n / 2)) LIMIT 1")
    far=$(pg_explain "$(pg_purge_sql "$t" "$cut")")
    log "pg $n $o: $CYCLES purge/refill cycles"
    for _ in $(seq 1 "$CYCLES"); do
      cut=$(pg -c "SELECT expires_at FROM $t ORDER BY expires_at OFFSET $((n / 4)) LIMIT 1")
      pg -c "DELETE FROM $t WHERE expires_at <= '$cut'"; pg -c "VACUUM ANALYZE $t"
      pg_fill "$t" "$o" "$(( n - $(pg -c "SELECT count(*) FROM $t") ))"
    done
    pg -c "VACUUM ANALYZE $t"
    local idx2 caught count
    idx2=$(pg_idx_size "$t")
    caught=$(pg_explain "$(pg_purge_sql "$t" "$cut")"); count=$(pg_explain "$(pg_count_sql "$t" "$cut")")
    row "pg $n $o | $rows | $(numfmt --to=iec "$idx") | $(awk "BEGIN{printf \"%.2f\", $idx/$rows}") | $(numfmt --to=iec "$idx2") | $far | $caught | $count"
  done
}

pg_throughput() {
  local o t r res tx wal0 wal1 unit pad
  declare -gA PG_TPS PG_WAL
  for r in $(seq 1 "$RUNS"); do
    for o in $PG_OPTIONS; do
      t=rec_$(tr A-Z a-z <<< "$o")
      if [ "$o" = B ]; then unit="'second'" pad=999999; else unit="'microseconds'" pad=0; fi
      pg -c "CHECKPOINT"
      wal0=$(pg -c "SELECT pg_current_wal_lsn()")
      res=$(pgbench -n -c "$CLIENTS" -j 2 -T "$DURATION" -f expiry-insert.pgbench -D tbl="$t" -D unit="$unit" -D pad="$pad" "$DB" 2>&1)
      wal1=$(pg -c "SELECT pg_current_wal_lsn()")
      tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<< "$res")
      PG_TPS[$o]+=" $(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<< "$res")"
      PG_WAL[$o]+=" $(pg -c "SELECT round(pg_wal_lsn_diff('$wal1', '$wal0') / $tx)")"
      log "pg throughput round $r $o: ${PG_TPS[$o]##* } tps, ${PG_WAL[$o]##* } WAL bytes/insert"
    done
  done
  for o in $PG_OPTIONS; do row "pg $o | $(median <<< "${PG_TPS[$o]}") | $(median <<< "${PG_WAL[$o]}")"; done
}

# ---------------------------------------------------------------- MariaDB
my_table() { # name option
  my -e "DROP TABLE IF EXISTS $1; CREATE TABLE $1 (
    expires_at DATETIME(6) NOT NULL, created_at DATETIME(6) NOT NULL, fencing_token BIGINT NOT NULL DEFAULT 0,
    lease_expires_at DATETIME(6), fingerprint_version SMALLINT NOT NULL, response_status SMALLINT,
    key_digest BINARY(16) NOT NULL, fingerprint VARBINARY(64) NOT NULL, response LONGBLOB,
    PRIMARY KEY (key_digest)) ENGINE=InnoDB"
  [ "$2" = D ] || my -e "CREATE INDEX ${1}_exp ON $1 (expires_at)"
}
my_expr() { # option expression: B rounds up to the whole second
  if [ "$1" = B ]; then echo "(($2) + INTERVAL ((1000000 - MICROSECOND($2)) % 1000000) MICROSECOND)"; else echo "($2)"; fi
}
my_fill() { # name option rows
  local e; e=$(my_expr "$2" "@base + INTERVAL (seq * 1000000 DIV $RATE) MICROSECOND")
  my -e "SET @base = (SELECT COALESCE(MAX(expires_at), NOW(6) - INTERVAL ($3 * 1000000 DIV $RATE) MICROSECOND) FROM $1);
    INSERT INTO $1 (expires_at, created_at, fingerprint_version, response_status, key_digest, fingerprint, response)
    SELECT $e, $e - INTERVAL 1 HOUR, 1, 200, RANDOM_BYTES(16), RANDOM_BYTES(32), REPEAT('r', 200) FROM seq_1_to_$3"
}
my_idx_size() { # bytes of the expiry index (0 if none)
  my -e "ANALYZE TABLE $1" >/dev/null
  my -e "SELECT COALESCE(MAX(stat_value), 0) * @@innodb_page_size FROM mysql.innodb_index_stats
    WHERE database_name = '$DB' AND table_name = '$1' AND index_name = '${1}_exp' AND stat_name = 'size'"
}
# The purge batch as the library runs it (select up to 1000 expired keys, delete them by key) or the capped
# count, in a transaction rolled back; the second of two runs. Prints "ms handler-reads".
my_measure() { # name cutoff purge|count
  local body sql res
  if [ "$3" = purge ]; then
    body="INSERT INTO k SELECT key_digest FROM $1 WHERE expires_at <= '$2'
      AND (lease_expires_at IS NULL OR lease_expires_at <= NOW(6)) ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED;
      DELETE $1 FROM $1 JOIN k USING (key_digest);"
  else
    body="INSERT INTO k SELECT COUNT(*) FROM (SELECT 1 FROM $1 WHERE expires_at <= '$2' LIMIT 10000) e;"
  fi
  sql="CREATE TEMPORARY TABLE k (key_digest VARBINARY(16)); FLUSH STATUS; SET @t = NOW(6); BEGIN; $body ROLLBACK;
    SELECT TIMESTAMPDIFF(MICROSECOND, @t, NOW(6)) / 1000,
      (SELECT SUM(VARIABLE_VALUE) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME LIKE 'HANDLER_READ%');"
  my -e "$sql" >/dev/null
  res=$(my -e "$sql")
  awk '{printf "%.2f %d", $1, $2}' <<< "$res"
}

my_size() { # rows
  local n=$1 o t rows idx idx2 cut far caught count
  for o in $MY_OPTIONS; do
    t=rec_$(tr A-Z a-z <<< "$o")
    log "my $n $o: fill"
    my_table "$t" "$o"; my_fill "$t" "$o" "$n"
    rows=$(my -e "SELECT COUNT(*) FROM $t"); idx=$(my_idx_size "$t")
    cut=$(my -e "SELECT expires_at FROM $t ORDER BY expires_at LIMIT 1 OFFSET $((n / 2))")
    far=$(my_measure "$t" "$cut" purge)
    log "my $n $o: $CYCLES purge/refill cycles"
    for _ in $(seq 1 "$CYCLES"); do
      cut=$(my -e "SELECT expires_at FROM $t ORDER BY expires_at LIMIT 1 OFFSET $((n / 4))")
      my -e "DELETE FROM $t WHERE expires_at <= '$cut'"
      my_fill "$t" "$o" "$(( n - $(my -e "SELECT COUNT(*) FROM $t") ))"
    done
    idx2=$(my_idx_size "$t")
    caught=$(my_measure "$t" "$cut" purge); count=$(my_measure "$t" "$cut" count)
    row "my $n $o | $rows | $(numfmt --to=iec "$idx") | $(awk "BEGIN{printf \"%.2f\", $idx/$rows}") | $(numfmt --to=iec "$idx2") | $far | $caught | $count"
  done
}

my_slap() { # table option inserts; prints seconds (mariadb-slap reads one statement per line)
  local e q
  e=$(my_expr "$2" "NOW(6) + INTERVAL 1 HOUR")
  q="INSERT INTO $1 (expires_at, created_at, fingerprint_version, response_status, key_digest, fingerprint, response)"
  q+=" VALUES ($e, NOW(6), 1, 200, RANDOM_BYTES(16), RANDOM_BYTES(32), REPEAT('r', 200))"
  mariadb-slap -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" --create-schema="$DB" --concurrency="$CLIENTS" \
    --iterations=1 --number-of-queries="$3" --query="$q" 2>&1 \
    | sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p'
}

my_throughput() {
  local o t r secs n
  declare -gA MY_TPS
  # mariadb-slap runs a number of inserts, not a duration: a short run sizes the others to about DURATION s
  n=$(awk "BEGIN{printf \"%d\", 5000 / $(my_slap rec_a A 5000) * $DURATION}")
  log "my throughput: $n inserts a run"
  for r in $(seq 1 "$RUNS"); do
    for o in $MY_OPTIONS; do
      t=rec_$(tr A-Z a-z <<< "$o")
      secs=$(my_slap "$t" "$o" "$n")
      MY_TPS[$o]+=" $(awk "BEGIN{print $n / $secs}")"
      log "my throughput round $r $o: ${MY_TPS[$o]##* } tps"
    done
  done
  for o in $MY_OPTIONS; do row "my $o | $(median <<< "${MY_TPS[$o]}") | -"; done
}

# ---------------------------------------------------------------- run
first=1
for n in $SIZES; do
  case " $ENGINES " in *" pg "*)
    [ "$first" = 1 ] && { psql -X -q -d "$PGADMINDB" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"; }
    pg_size "$n"
    [ "$first" = 1 ] && [ "$THROUGHPUT" = 1 ] && pg_throughput
    pg -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public";;
  esac
  case " $ENGINES " in *" my "*)
    [ "$first" = 1 ] && mariadb -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
    my_size "$n"
    [ "$first" = 1 ] && [ "$THROUGHPUT" = 1 ] && my_throughput
    for o in $MY_OPTIONS; do my -e "DROP TABLE IF EXISTS rec_$(tr A-Z a-z <<< "$o")"; done;;
  esac
  first=0
done

echo "Expiry index: size after fill and after $CYCLES purge/refill cycles; purge = one 1000-row batch (ms, buffers on"
echo "PostgreSQL / handler reads on MariaDB), far behind = half the table expired, caught up = nothing expired;"
echo "count = capped count (10000) when caught up. Fill rate $RATE rows/s of simulated time."
{ echo "engine rows option | rows | index | bytes/entry | index after cycles | purge far behind ms bufs | purge caught up ms bufs | count caught up ms bufs"
  grep -v '^p[g] [A-Z]\|^my [A-Z]' "$out" || true; } | column -t -s '|'
if [ "$THROUGHPUT" = 1 ]; then
  echo
  echo "Inserts, $CLIENTS clients, one row per transaction, $RUNS runs: median (min-max)"
  { echo "engine option | inserts/s | WAL bytes/insert"; grep '^p[g] [A-Z]\|^my [A-Z]' "$out" || true; } | column -t -s '|'
fi
