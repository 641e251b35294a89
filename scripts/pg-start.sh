#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests and benchmarks (initdb/pg_ctl as user
# postgres, in a temp folder) and prints the admin URL. Stop it with scripts/pg-stop.sh DIR.
# Usage: eval "$(scripts/pg-start.sh)"  → sets HELPDESK_TEST_PG_URL and HELPDESK_TEST_PG_DIR.
set -euo pipefail
bindir=/usr/local/bin
[ -x "$bindir/initdb" ] || bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | head -n1)")
if [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL (initdb, pg_ctl) is not installed" >&2
  exit 1
fi
port=${HELPDESK_TEST_PG_PORT:-$((20000 + RANDOM % 20000))}
dir=$(mktemp -d /tmp/helpdesk-pg.XXXXXX)
chown postgres "$dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >"$dir/initdb.log" 2>&1
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=${HELPDESK_TEST_PG_SHARED_BUFFERS:-1GB}" \
  start >/dev/null
echo "export HELPDESK_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
echo "export HELPDESK_TEST_PG_DIR=$dir"
