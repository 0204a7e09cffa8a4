#!/usr/bin/env bash
# What a post costs tm-cms when 16 clients post at once (S8's post case), with the HTTP group
# commit on or off: tm-cms's CPU per post, requests/s, the MariaDB server's statements per post
# and how many posts were stored in batches.
#
#   scripts/bench/cms-concurrent-post-cost.sh true|false [seconds]
#
# Runs target/release/tm-cms as it is (build it first: cargo build --release -p tm-cms -p tm-bench)
# pinned to core 0 on 127.0.0.1:9055 with a private database tm_cost_s8_<pid> (dropped on exit)
# and the bus prefix tm-cost-s8., and tm-bench s8 on core 1. The statement count is the whole
# server's: run it on an otherwise idle MariaDB. Loopback only; every step is bounded.
set -euo pipefail
GROUP_COMMIT=${1:?usage: $0 true|false [seconds]}
SECONDS_TO_RUN=${2:-10}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
# shellcheck disable=SC1091
[ -f .run/dev-services.env ] && . .run/dev-services.env
SERVER=${TM_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306}
AMQP=${TM_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
DB="tm_cost_s8_$$" URL=http://127.0.0.1:9055 CMS=""
# shellcheck source=scripts/bench/mariadb.sh
. "$ROOT/scripts/bench/mariadb.sh"
cleanup() {
    if [ -n "$CMS" ]; then kill "$CMS" 2>/dev/null || true; wait "$CMS" 2>/dev/null || true; fi
    sql "DROP DATABASE IF EXISTS \`$DB\`" >/dev/null 2>&1 || echo "drop database $DB by hand" >&2
}
trap cleanup EXIT
sql "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
export TM_CMS__HTTP__BIND=127.0.0.1:9055 TM_CMS__HTTP__PUBLIC_URL=$URL
export TM_CMS__DATABASE__URL="${SERVER%/}/$DB" TM_CMS__BUS__URL="$AMQP" TM_CMS__BUS__PREFIX=tm-cost-s8.
TM_CMS__JOIN__SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export TM_CMS__JOIN__SECRET
# One client posts everything: lift the per-participant, per-address and creation limits.
export TM_CMS__POSTING__PER_MINUTE=100000000 TM_CMS__POSTING__BURST=10000000
export TM_CMS__JOIN__ATTEMPTS_PER_MINUTE=10000000 TM_CMS__ROOMS__CREATES_PER_ADDRESS=10000000
export TM_CMS__LOG__FILTER=warn TM_CMS__POSTING__GROUP_COMMIT=$GROUP_COMMIT
timeout 120 target/release/tm-cms migrate >/dev/null
taskset -c 0 target/release/tm-cms serve >"${TMPDIR:-/tmp}/cms-concurrent-post-cost.log" 2>&1 &
CMS=$!
for _ in $(seq 1 300); do curl -fsS --max-time 1 "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
q0=$(sql "SHOW GLOBAL STATUS LIKE 'Questions'" | cut -f2)
result=$(timeout $((SECONDS_TO_RUN + 120)) taskset -c 1 target/release/tm-bench s8 --cms-url "$URL" \
    --cms-pid "$CMS" --cases post --duration "$SECONDS_TO_RUN" 2>/dev/null)
q1=$(sql "SHOW GLOBAL STATUS LIKE 'Questions'" | cut -f2)
echo "group_commit=$GROUP_COMMIT"
curl -fsS --max-time 5 "$URL/metrics" | grep -E '^tm_cms_(post_batches|batched_posts)_total' || true
python3 - "$q0" "$q1" "$result" <<'PY'
import json, sys
q0, q1 = int(sys.argv[1]), int(sys.argv[2])
for line in sys.argv[3].splitlines():
    record = json.loads(line)
    m = record.get("metrics", record)
    ok = m.get("req_ok") or 0
    shown = {k: m[k] for k in ("requests_per_s", "cms_cpu_us_per_request", "req_p50_us", "req_p99_us", "req_ok") if k in m}
    print(shown, "statements per post:", round((q1 - q0) / ok, 2) if ok else "-")
PY
