#!/usr/bin/env bash
# Every performance table in one run: HTTP ticket creation, mail delivery, and the staff
# console at 1,000,000 tickets, on SQLite and on a throwaway PostgreSQL server, each table
# headed by the date, the commit and the machine. Rerun it whenever a change touches a
# measured path and update README.md and BENCHMARKS.md in the same commit.
#
#   scripts/bench.sh                 # everything (the console seeds 1 M tickets: ~15 min)
#   scripts/bench.sh http mail       # some of them
#
# BENCH_SECONDS, BENCH_RUNS, BENCH_TICKETS, BENCH_KEEP… are passed on (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(http mail console)
started=""
if [ -z "${HELPDESK_TEST_PG_URL:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  started="$HELPDESK_TEST_PG_DIR"
fi
trap '[ -n "$started" ] && scripts/pg-stop.sh "$started"' EXIT
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GB RAM, $(uname -sr)"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src migrations benches Cargo.toml Cargo.lock || echo '+changes')"
cargo bench --locked --no-run >/dev/null 2>&1 || cargo bench --locked --no-run
for bench in "${benches[@]}"; do
  echo
  echo "## $bench — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo "Machine: $machine; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); $(rustc --version)."
  echo
  cargo bench --locked --bench "$bench" 2>/dev/null
done
