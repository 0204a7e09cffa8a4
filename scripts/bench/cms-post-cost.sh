#!/usr/bin/env bash
# What one HTTP post costs tm-cms: CPU (utime + stime from /proc) and SQL statements per post,
# over a fixed number of posts sent one after the other on one keep-alive connection.
#
#   scripts/bench/cms-post-cost.sh [--posts N] [--rooms R] [--perf FILE] [--no-build]
#
# Starts a release tm-cms (pinned to core 0) on 127.0.0.1:9054 with a private database
# tm_cost_<pid> (dropped on exit) and the bus prefix tm-cost., creates R rooms, warms up with
# 200 posts, then sends N posts round-robin over the rooms with curl (one connection, closed
# loop, core 1). It reports tm-cms's CPU per post, its threads' context switches per post (each a
# thread that slept and was woken, or was preempted), and the MariaDB server's statement counters
# (global `Com_*`) per post; the counters are the whole server's, so the same interval is
# measured once with tm-cms idle first, and that background is subtracted.
# --no-build runs target/release/tm-cms as it is. --perf FILE also records `perf record -g` of tm-cms during the measured posts.
# Needs MariaDB and RabbitMQ (scripts/dev-services.sh); loopback only; every step is bounded.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
POSTS=2000 ROOMS=8 PERF_OUT="" BUILD=1
while [ $# -gt 0 ]; do
    case $1 in
        --posts) POSTS=$2; shift ;;
        --rooms) ROOMS=$2; shift ;;
        --perf) PERF_OUT=$2; shift ;;
        --no-build) BUILD=0 ;;
        *) echo "usage: $0 [--posts N] [--rooms R] [--perf FILE] [--no-build]" >&2; exit 2 ;;
    esac
    shift
done
# shellcheck disable=SC1091
[ -f "$ROOT/.run/dev-services.env" ] && . "$ROOT/.run/dev-services.env"
SERVER=${TM_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306}
AMQP=${TM_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
PORT=9054 DB="tm_cost_$$" URL="http://127.0.0.1:9054"
WORK=$(mktemp -d)
CMS_PID=""

# shellcheck source=scripts/bench/mariadb.sh
. "$ROOT/scripts/bench/mariadb.sh"
cleanup() {
    if [ -n "$CMS_PID" ]; then kill "$CMS_PID" 2>/dev/null || true; wait "$CMS_PID" 2>/dev/null || true; fi
    sql "DROP DATABASE IF EXISTS \`$DB\`" >/dev/null 2>&1 || echo "drop database $DB by hand" >&2
    rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Context switches of all of a process's threads: each is a thread that slept and was woken
# (voluntary) or was preempted, the cost the profile attributes to round trips.
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/_ctxt_switches/ {n += $2} END {print n}'; }
# The same per thread, as "tid name voluntary involuntary" lines.
ctx_by_thread() {
    local t
    for t in /proc/"$1"/task/*; do
        awk -v tid="${t##*/}" '/^Name:/ {name = $2} /^voluntary/ {v = $2} /^nonvoluntary/ {nv = $2} END {print tid, name, v, nv}' "$t/status" 2>/dev/null
    done | sort
}
# The server's statement counters, as "name value" lines.
counters() {
    sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions','Com_stmt_prepare','Com_stmt_execute',
        'Com_stmt_close','Com_select','Com_insert','Com_update','Com_begin','Com_commit','Com_set_option')" \
        | sort
}

# The same packages as run.sh, so that features unify the same way and nothing is rebuilt.
[ "$BUILD" = 1 ] && timeout 3600 cargo build --release -p tm-bench -p tm-gateway -p tm-cms --quiet
sql "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
export TM_CMS__HTTP__BIND=127.0.0.1:$PORT TM_CMS__HTTP__PUBLIC_URL=$URL
export TM_CMS__DATABASE__URL="${SERVER%/}/$DB" TM_CMS__BUS__URL="$AMQP" TM_CMS__BUS__PREFIX=tm-cost.
export TM_CMS__JOIN__SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
# One client posts everything: lift the per-participant, per-address and room-creation limits.
export TM_CMS__POSTING__PER_MINUTE=100000000 TM_CMS__POSTING__BURST=10000000
export TM_CMS__ROOMS__CREATES_PER_ADDRESS=10000000 TM_CMS__LOG__FILTER=warn
timeout 120 "$ROOT/target/release/tm-cms" migrate >"$WORK/cms.log" 2>&1
taskset -c 0 "$ROOT/target/release/tm-cms" serve >>"$WORK/cms.log" 2>&1 &
CMS_PID=$!
for _ in $(seq 1 300); do
    curl -fsS --max-time 1 "$URL/readyz" >/dev/null 2>&1 && break
    kill -0 "$CMS_PID" 2>/dev/null || { cat "$WORK/cms.log" >&2; exit 1; }
    sleep 0.1
done

slugs=()
for i in $(seq 1 "$ROOMS"); do
    slug="cost-$$-$i"
    curl -fsS --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"name\":\"$slug\",\"lifetime\":\"1d\",\"max_length\":2000}" "$URL/api/v1/rooms"
    slugs+=("$slug")
done
# A curl config with one request per post: curl sends them in order on one connection.
write_posts() {
    local n=$1 file=$2 i body
    body=$(printf 'x%.0s' $(seq 1 200))
    : >"$file"
    for i in $(seq 1 "$n"); do
        [ "$i" -gt 1 ] && echo next >>"$file"
        printf 'url = "%s/api/v1/rooms/%s/messages"\nheader = "Content-Type: application/json"\ndata = "{\\"nickname\\":\\"bench\\",\\"body\\":\\"%s %d\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$URL" "${slugs[$((i % ROOMS))]}" "$body" "$i" >>"$file"
    done
}
write_posts 200 "$WORK/warm.cfg"
write_posts "$POSTS" "$WORK/posts.cfg"
timeout 120 taskset -c 1 curl -sS -K "$WORK/warm.cfg" >/dev/null
sleep 1

# Background: the same length of time with tm-cms idle.
b0=$(counters); c0=$(cpu_ticks "$CMS_PID"); x0=$(ctx_switches "$CMS_PID"); xt0=$(ctx_by_thread "$CMS_PID"); t0=$(date +%s.%N)
timeout 600 taskset -c 1 curl -sS -K "$WORK/posts.cfg" >"$WORK/codes"
sleep 0.5
t1=$(date +%s.%N); c1=$(cpu_ticks "$CMS_PID"); x1=$(ctx_switches "$CMS_PID"); xt1=$(ctx_by_thread "$CMS_PID"); b1=$(counters)
elapsed=$(echo "$t1 - $t0" | bc)
idle0=$(counters); ic0=$(cpu_ticks "$CMS_PID")
if [ -n "$PERF_OUT" ]; then
    write_posts "$POSTS" "$WORK/perf.cfg"
    perf record -g -F 999 -o "$PERF_OUT" -p "$CMS_PID" -- sleep 600 2>"$WORK/perf.log" &
    perf_pid=$!
    sleep 1
    timeout 600 taskset -c 1 curl -sS -K "$WORK/perf.cfg" >/dev/null
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    idle1=$(counters); ic1=$ic0
else
    sleep "$elapsed"
    idle1=$(counters); ic1=$(cpu_ticks "$CMS_PID")
fi
ok=$(grep -c '^201$' "$WORK/codes" || true)
hz=$(getconf CLK_TCK)
echo "posts: $POSTS sent, $ok answered 201, in ${elapsed} s ($(echo "scale=0; $POSTS / $elapsed" | bc) posts/s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tm-cms CPU per post: $(echo "scale=1; ($c1 - $c0) * 1000000 / $hz / $POSTS" | bc) us (idle interval: $(echo "scale=1; ($ic1 - $ic0) * 1000000 / $hz / $POSTS" | bc) us per post-equivalent)"
echo "tm-cms context switches per post (all threads): $(echo "scale=1; ($x1 - $x0) / $POSTS" | bc); threads: $(ls /proc/"$CMS_PID"/task | wc -l)"
join <(echo "$xt0") <(echo "$xt1") | awk -v n="$POSTS" '{ printf "  thread %-16s %6.2f per post (%.2f voluntary, %.2f preempted)\n", $2, ($6 - $3 + $7 - $4) / n, ($6 - $3) / n, ($7 - $4) / n }'
echo "MariaDB statements per post (measured minus idle background):"
join <(echo "$b0") <(echo "$b1") | join - <(echo "$idle0") | join - <(echo "$idle1") |
    awk -v n="$POSTS" '{ printf "  %-18s %6.2f   (background %.2f)\n", $1, (($3 - $2) - ($5 - $4)) / n, ($5 - $4) / n }'
