#!/usr/bin/env bash
# Vote bursts (issue 16): N participants upvote one question, then cast a poll ballot, each burst
# within WINDOW seconds, against a release tm-cms with its production defaults; checks every vote
# is counted (in the database and in the last coalesced message.updated / poll.updated) and
# reports tm-cms's CPU per vote.
#
#   scripts/bench/votes.sh [--n 2000] [--window 5] [--out DIR]
#
# tm-cms runs on 127.0.0.1:9054, pinned to core 0 (the load runs on core 1), with a private
# database tm_bench_votes_<pid> (dropped at the end) and bus prefix tm-bench-votes. (deleted at
# the end with `tm-bench cleanup-bus`). It needs MariaDB and RabbitMQ (scripts/dev-services.sh)
# and node. Results: $OUT/votes.json; the tm-cms log in $OUT/tm-cms-votes.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
N=2000
WINDOW=5
OUT="$ROOT/target/bench"
while [ $# -gt 0 ]; do
    case "$1" in
        --n) N=$2; shift ;;
        --window) WINDOW=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "votes.sh: unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done
mkdir -p "$OUT"
command -v node >/dev/null || { echo "votes.sh: node is missing (Debian package nodejs)" >&2; exit 69; }
scripts/dev-services.sh >/dev/null
# shellcheck disable=SC1091
. "$ROOT/.run/dev-services.env"
echo "votes.sh: building tm-cms and tm-bench (release)"
timeout 3600 cargo build --release -p tm-cms -p tm-bench --quiet

SERVER=${TM_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306}
AMQP=${TM_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
DB="tm_bench_votes_$$"
PREFIX="tm-bench-votes."
PORT=9054
LOG="$OUT/tm-cms-votes.log"
userhost=${SERVER#mysql://}; userhost=${userhost%%/*}
user=${userhost%@*}; hostport=${userhost#*@}
dbuser=${user%%:*}; dbpass=; [ "$user" != "$dbuser" ] && dbpass=${user#*:}
sql() {
    timeout 30 mariadb -h "${hostport%:*}" -P "${hostport##*:}" -u "$dbuser" ${dbpass:+-p"$dbpass"} --protocol=TCP -e "$1"
}
CMS_PID=""
cleanup() {
    if [ -n "$CMS_PID" ]; then
        kill "$CMS_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$CMS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$CMS_PID" 2>/dev/null || true
    fi
    sql "DROP DATABASE IF EXISTS \`$DB\`" || echo "votes.sh: could not drop database $DB; drop it by hand" >&2
    timeout 60 "$ROOT/target/release/tm-bench" cleanup-bus --bus-prefix "$PREFIX" >>"$LOG" 2>&1 \
        || echo "votes.sh: could not delete the $PREFIX topology; see $LOG" >&2
}
trap cleanup EXIT
sql "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
cms_env=(
    TM_CMS__HTTP__BIND="127.0.0.1:$PORT" TM_CMS__HTTP__PUBLIC_URL="http://127.0.0.1:$PORT"
    TM_CMS__DATABASE__URL="${SERVER%/}/$DB" TM_CMS__BUS__URL="$AMQP" TM_CMS__BUS__PREFIX="$PREFIX"
    TM_CMS__JOIN__SECRET="votes-bench-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    TM_CMS__LOG__FILTER=warn
)
env "${cms_env[@]}" taskset -c 0 "$ROOT/target/release/tm-cms" serve >"$LOG" 2>&1 &
CMS_PID=$!
ok=0
for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$CMS_PID" 2>/dev/null || break
    sleep 0.1
done
[ "$ok" = 1 ] || { echo "votes.sh: tm-cms did not become ready within 30 s; see $LOG" >&2; exit 1; }
echo "votes.sh: $N participants, votes within ${WINDOW}s, tm-cms pid $CMS_PID"
status=0
timeout 600 taskset -c 1 node scripts/bench/votes.mjs "http://127.0.0.1:$PORT" "$CMS_PID" "$N" "$WINDOW" \
    | tee "$OUT/votes.json" || status=$?
exit "$status"
