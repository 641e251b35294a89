#!/usr/bin/env bash
# The one command that runs every test: it installs and starts what the tests need (a
# PostgreSQL server; aiosmtpd for the real SMTP server the mail tests start), runs the unit and
# integration suites on SQLite and PostgreSQL, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore aiosmtpd
fi
started=""
if [ -z "${HELPDESK_TEST_PG_URL:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  started="$HELPDESK_TEST_PG_DIR"
fi
trap '[ -n "$started" ] && scripts/pg-stop.sh "$started"' EXIT
cargo test --locked "$@"
