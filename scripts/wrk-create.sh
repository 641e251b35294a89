#!/usr/bin/env bash
# Ticket creations per second with wrk against one release binary, as issue 15 measured them:
#   PGADMIN=postgres://…/postgres scripts/wrk-create.sh target/release/helpdesk sqlite|pg [5s] [threads]
#   WINDOWS=6 scripts/wrk-create.sh BIN sqlite 10s   # a 60-second run in six windows, one server
# Starts the binary on a fresh database (SQLite in a temp folder, or a new PostgreSQL database
# on PGADMIN's server), registers and verifies a student, warms up 1 s, then runs
# `wrk -c8` posting a segreteria ticket; prints one RESULT line and the server's peak RSS (with
# WINDOWS=n, n runs back to back on the same server, each line with the RSS after it).
# Needs wrk, curl, jq, sqlite3 (and psql for pg).
set -euo pipefail
bin=$1; backend=$2; dur=${3:-8s}; threads=${4:-1}
dir=$(mktemp -d)
if [ "$backend" = pg ]; then
  name=bench_$(date +%s%N)
  psql "$PGADMIN" -qc "CREATE DATABASE $name" >/dev/null
  url="${PGADMIN%/*}/$name"
else
  url="sqlite://$dir/helpdesk.db"
fi
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
HELPDESK_DATA_DIR=$dir HELPDESK_BIND=127.0.0.1:$port HELPDESK_DATABASE_URL=$url RUST_LOG=warn HELPDESK_MAIL_WORKERS=0 \
  HELPDESK_JWT_SECRET=bench-secret-bench-secret-bench-secret-42 "$bin" serve >/dev/null 2>$dir/stderr &
pid=$!
for i in $(seq 1 200); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
base=http://127.0.0.1:$port
email=bench@studenti.unibg.it
curl -sf -X POST $base/api/v1/auth/register -H 'content-type: application/json' -d "{\"email\":\"$email\",\"password\":\"bench-password-123\",\"display_name\":\"Bench\"}" >/dev/null
q="select payload from outbox where kind='verify_email'"
if [ "$backend" = pg ]; then payload=$(psql "$url" -Atc "$q"); else payload=$(sqlite3 $dir/helpdesk.db "$q"); fi
vt=$(echo "$payload" | jq -r .link | sed 's/.*token=//')
curl -sf -X POST $base/api/v1/auth/verify-email -H 'content-type: application/json' -d "{\"token\":\"$vt\"}" >/dev/null
export TOKEN=$(curl -sf -X POST $base/api/v1/auth/login -H 'content-type: application/json' -d "{\"email\":\"$email\",\"password\":\"bench-password-123\"}" | jq -r .token)
wrk -t1 -c8 -d1s -s "$(dirname "$0")/wrk-create.lua" $base/api/v1/tickets >/dev/null
for window in $(seq 1 "${WINDOWS:-1}"); do
  wrk -t$threads -c8 -d$dur -s "$(dirname "$0")/wrk-create.lua" $base/api/v1/tickets | grep RESULT | tr '\n' ' '
  echo "rss_peak=$(awk '/VmHWM/{print $2/1024 "MB"}' /proc/$pid/status) rss_now=$(awk '/VmRSS/{print $2/1024 "MB"}' /proc/$pid/status)"
done
kill $pid; wait $pid 2>/dev/null || true
[ "$backend" = pg ] && psql "$PGADMIN" -qc "DROP DATABASE $name WITH (FORCE)" >/dev/null
rm -rf $dir
