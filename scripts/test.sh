#!/usr/bin/env bash
# The one command that runs every test: it installs and starts what the tests need (a
# PostgreSQL server; aiosmtpd for the real SMTP server the mail tests start; openapi-spec-validator
# for the API's OpenAPI document; Debian's Chromium
# and ChromeDriver and axe-core for the browser tests; oidc-provider from npm, the OpenID
# provider the SSO tests start; Debian's clamav-daemon, the real virus scanner the upload tests
# start), runs the unit, integration and end-to-end suites, and stops
# what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore aiosmtpd
fi
# The OpenAPI document is checked by openapi-spec-validator (PyPI) in tests/api/polish.rs.
if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore openapi-spec-validator
fi
export HELPDESK_TEST_OPENAPI_VALIDATOR=1
# The browser suite (tests/e2e) fails, never skips, without these.
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver) >/dev/null
  else
    echo "chromium and chromium-driver are missing: apt-get install chromium chromium-driver" >&2
  fi
fi
# The virus-scanning tests start a real clamd with a signature database they write (sigtool
# --md5 of the EICAR file, no download); they fail, never skip, without Debian's clamav-daemon.
if ! command -v clamd >/dev/null && [ ! -x /usr/sbin/clamd ] || ! command -v sigtool >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q clamav-daemon clamav) >/dev/null
  else
    echo "clamav-daemon is missing: apt-get install clamav-daemon clamav" >&2
  fi
fi
if [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/e2e --no-audit --no-fund --silent
fi
# The OpenID provider of the single sign-on tests (tests/oidc: oidc-provider from npm, run by node).
if [ ! -f tests/oidc/node_modules/oidc-provider/package.json ]; then
  npm ci --prefix tests/oidc --no-audit --no-fund --silent
fi
started=""
if [ -z "${HELPDESK_TEST_PG_URL:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  started="$HELPDESK_TEST_PG_DIR"
fi
trap '[ -n "$started" ] && scripts/pg-stop.sh "$started"' EXIT
cargo test --locked "$@"
