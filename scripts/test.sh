#!/usr/bin/env bash
# The one command that runs every test: it starts what the tests need (a PostgreSQL server),
# runs the unit and integration suites on SQLite and PostgreSQL, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
started=""
if [ -z "${HELPDESK_TEST_PG_URL:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  started="$HELPDESK_TEST_PG_DIR"
fi
trap '[ -n "$started" ] && scripts/pg-stop.sh "$started"' EXIT
cargo test --locked "$@"
