#!/usr/bin/env bash
# Stops the server that scripts/pg-start.sh started in DIR, and removes DIR.
set -u
dir=${1:-${HELPDESK_TEST_PG_DIR:-}}
[ -n "$dir" ] && [ -d "$dir" ] || exit 0
bindir=/usr/local/bin
[ -x "$bindir/pg_ctl" ] || bindir=$(dirname "$(command -v pg_ctl 2>/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl | head -n1)")
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1
else "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1; fi
rm -rf "$dir"
