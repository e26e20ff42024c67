#!/usr/bin/env bash
# The first replay window's tail, measured from outside with wrk (docs/benchmarks.md, "The first replay
# window's tail"): the Spring Boot example with the starter's defaults on a fresh PostgreSQL database, 300 keys
# stored, then 3 cycles of 10 s of new keys and 5 replay windows of 2 s, 16 connections; p99 of each window.
# Run from the project's root after: mvn -B -q -pl benchmarks,examples-spring-boot -am package -DskipTests
# Needs wrk, curl and psql; PostgreSQL on 127.0.0.1:5432 as the benchmarks use it.
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=examples-spring-boot/target/idempotency-examples-spring-boot-0.1.0-SNAPSHOT.jar
[ -f "$jar" ] || { echo "The example's jar is missing: mvn -B -q -pl benchmarks,examples-spring-boot -am package -DskipTests" >&2; exit 1; }
port=${PORT:-18432}
db=bench_wrk_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
log=$(mktemp)
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
java -jar "$jar" --server.port="$port" --spring.main.banner-mode=off --server.tomcat.max-keep-alive-requests=-1 \
    "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/$db?user=postgres" > "$log" 2>&1 &
app=$!
cleanup() {
  kill "$app" 2>/dev/null && wait "$app" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 1 180); do grep -q "Tomcat started" "$log" && break; sleep 1; done
grep -q "Tomcat started" "$log" || { tail -30 "$log" >&2; exit 1; }
for n in $(seq 1 300); do
  curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/orders" -H 'Content-Type: application/json' \
      -H 'X-Api-Key: bench-client' -H "Idempotency-Key: rk-$n" -d '{"item":"replayed order"}'
done | sort | uniq -c
for cycle in 1 2 3; do
  echo "cycle $cycle, $(uptime | sed 's/.*load/load/')"
  wrk -t2 -c16 -d10s --latency -s benchmarks/wrk/new-keys.lua "http://127.0.0.1:$port/" \
      | grep -E "Requests/sec|^ +99%|Non-2xx" | tr -s ' \n' ' '; echo "<- new keys"
  for w in 1 2 3 4 5; do
    wrk -t2 -c16 -d2s --latency -s benchmarks/wrk/replays.lua "http://127.0.0.1:$port/" \
        | grep -E "Requests/sec|^ +99%|unexpected|Non-2xx" | sort | uniq -c | tr -s ' \n' ' '; echo "<- replays $w"
  done
done
