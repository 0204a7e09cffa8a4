#!/usr/bin/env bash
# What one room page (`GET /r/{slug}`, S8's page) costs tm-cms, in instructions counted by
# callgrind: exact and repeatable whatever else the machine does, unlike CPU time.
#
#   scripts/bench/cms-page-cost.sh [--messages M] [--pages N] [--base B] [--keep DIR] [--no-build]
#
# 1. Builds tm-cms in release (unless --no-build) and starts it on 127.0.0.1:9055 with a
#    private database tm_pagecost_<pid> (dropped on exit) and the bus prefix tm-pagecost.;
#    makes one room and posts M messages (default 20, as S8's rooms have; the page shows up
#    to 100) of mixed bodies:
#    plain sentences, links, @mentions, #tags, HTML special characters, long texts, German,
#    Spanish, Arabic and emoji; marks some answered, pins one and upvotes some. Stops it.
# 2. Runs `tm-cms serve` under `valgrind --tool=callgrind` twice: once fetching the page B
#    times (default 20), once B + N times (default N = 100), on one keep-alive connection, each
#    run after the same warm-up, then SIGTERM. The difference of the two totals over N pages is
#    the cost of one page, without start-up, warm-up and shutdown.
#
# The page is fetched as a first-time visitor (no cookies), in English. --keep DIR keeps the
# two callgrind.out files (for callgrind_annotate). Needs MariaDB and RabbitMQ
# (scripts/dev-services.sh), valgrind and python3; loopback only; every step is bounded.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MESSAGES=20 PAGES=100 BASE=20 KEEP="" BUILD=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
        --messages) MESSAGES=$2; shift ;;
        --pages) PAGES=$2; shift ;;
        --base) BASE=$2; shift ;;
        --keep) KEEP=$2; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
for tool in valgrind python3 curl mariadb; do
    command -v "$tool" >/dev/null || { echo "cms-page-cost: needs $tool" >&2; exit 1; }
done
# shellcheck disable=SC1091
[ -f "$ROOT/.run/dev-services.env" ] && . "$ROOT/.run/dev-services.env"
SERVER=${TM_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306}
AMQP=${TM_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
PORT=9055 DB="tm_pagecost_$$" URL="http://127.0.0.1:9055"
CMS="${CARGO_TARGET_DIR:-$ROOT/target}/release/tm-cms"
WORK=$(mktemp -d)
CMS_PID=""

# shellcheck source=scripts/bench/mariadb.sh
. "$ROOT/scripts/bench/mariadb.sh"
stop_cms() {
    [ -n "$CMS_PID" ] || return 0
    kill -TERM "$CMS_PID" 2>/dev/null || true
    # callgrind writes its counts when the process exits: give the graceful shutdown time.
    for _ in $(seq 1 600); do kill -0 "$CMS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CMS_PID" 2>/dev/null || true
    wait "$CMS_PID" 2>/dev/null || true
    CMS_PID=""
}
cleanup() {
    stop_cms
    sql "DROP DATABASE IF EXISTS \`$DB\`" >/dev/null 2>&1 || echo "drop database $DB by hand" >&2
    rm -rf "$WORK"
}
trap cleanup EXIT

# Starts tm-cms (under the given wrapper command, if any) and waits until it is ready.
start_cms() {
    "$@" "$CMS" serve >>"$WORK/cms.log" 2>&1 &
    CMS_PID=$!
    for _ in $(seq 1 1200); do
        curl -fsS --max-time 2 "$URL/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$CMS_PID" 2>/dev/null || { cat "$WORK/cms.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "cms-page-cost: tm-cms did not get ready" >&2; exit 1
}
# Fetches the room page n times on one connection; fails unless every answer is 200.
fetch_pages() {
    local n=$1 i
    : >"$WORK/pages.cfg"
    for i in $(seq 1 "$n"); do
        [ "$i" -gt 1 ] && echo next >>"$WORK/pages.cfg"
        printf 'url = "%s/r/%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$URL" "$SLUG" >>"$WORK/pages.cfg"
    done
    timeout 600 curl -sS -H 'Accept-Language: en' -K "$WORK/pages.cfg" >"$WORK/codes"
    [ "$(grep -c '^200$' "$WORK/codes" || true)" = "$n" ] || { echo "cms-page-cost: a page did not answer 200" >&2; exit 1; }
}

[ "$BUILD" = 1 ] && timeout 3600 cargo build --release -p tm-cms --quiet
sql "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
export TM_CMS__HTTP__BIND=127.0.0.1:$PORT TM_CMS__HTTP__PUBLIC_URL=$URL
export TM_CMS__DATABASE__URL="${SERVER%/}/$DB" TM_CMS__BUS__URL="$AMQP" TM_CMS__BUS__PREFIX=tm-pagecost.
TM_CMS__JOIN__SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export TM_CMS__JOIN__SECRET
# One client posts everything: lift the per-participant, per-address and room-creation limits.
export TM_CMS__POSTING__PER_MINUTE=100000000 TM_CMS__POSTING__BURST=10000000
export TM_CMS__ROOMS__CREATES_PER_ADDRESS=10000000 TM_CMS__LOG__FILTER=warn
timeout 120 "$CMS" migrate >"$WORK/cms.log" 2>&1

# ---- 1. the room and its messages ----
start_cms
SLUG="pagecost-$$"
TOKEN=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"name\":\"$SLUG\",\"lifetime\":\"1d\",\"max_length\":2000}" "$URL/api/v1/rooms" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["owner_token"])')
python3 - "$URL" "$SLUG" "$MESSAGES" >"$WORK/posts.cfg" <<'EOF'
import json, sys
url, slug, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
bodies = [
    "Could you go over the second example again, please?",
    "The slides are at https://example.org/physics-101/week-3?page=2&lang=en, see slide 14",
    "@alice I think you are right about the sign of the force",
    "Is this on the exam? #exam #physics",
    "if a < b && b > c then \"a\" isn't the largest, is it?",
    "Warum ist die Beschleunigung hier konstant? Ich verstehe den Übergang nicht ganz.",
    "¿Podría repetir la última fórmula? No la alcancé a copiar.",
    "هل يمكنك شرح المثال الثاني مرة أخرى من فضلك؟",
    "Great lecture 👍🏽 thanks! 🎉",
    " ".join(["This is a longer comment that goes on for a while to show how long texts render."] * 4),
]
nicks = ["sam", "alice", "Bob_42", "Jürgen", "maría", "نور", "kim"]
for i in range(count):
    if i:
        print("next")
    data = json.dumps({"nickname": nicks[i % len(nicks)], "body": bodies[i % len(bodies)]})
    quoted = data.replace("\\", "\\\\").replace('"', '\\"')
    print(f'url = "{url}/api/v1/rooms/{slug}/messages"')
    print('header = "Content-Type: application/json"')
    print(f'data = "{quoted}"')
    print('output = "/dev/null"')
    print('write-out = "%{http_code}\\n"')
EOF
timeout 300 curl -sS -K "$WORK/posts.cfg" >"$WORK/codes"
posted=$(grep -c '^201$' "$WORK/codes" || true)
[ "$posted" = "$MESSAGES" ] || { echo "cms-page-cost: only $posted of $MESSAGES posts stored" >&2; exit 1; }
# Q&A state as a lecture has it: every 7th message answered, one pinned, every 3rd upvoted.
JOIN=$(curl -fsS --max-time 10 -X POST "$URL/api/v1/rooms/$SLUG/join" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
ids=$(curl -fsS --max-time 10 "$URL/api/v1/rooms/$SLUG/messages?limit=$MESSAGES" |
    python3 -c 'import json,sys; print(" ".join(str(m["id"]) for m in json.load(sys.stdin)["messages"]))')
n=0
for id in $ids; do
    n=$((n + 1))
    if [ $((n % 7)) = 0 ]; then
        curl -fsS --max-time 10 -o /dev/null -X PATCH -H "Authorization: Bearer $TOKEN" \
            -H 'Content-Type: application/json' -d '{"answered": true}' "$URL/api/v1/rooms/$SLUG/messages/$id"
    fi
    if [ $((n % 3)) = 0 ]; then
        curl -fsS --max-time 10 -o /dev/null -X POST -H "Authorization: Bearer $JOIN" "$URL/api/v1/rooms/$SLUG/messages/$id/vote"
    fi
    [ "$n" = 5 ] && curl -fsS --max-time 10 -o /dev/null -X PATCH -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d '{"pinned": true}' "$URL/api/v1/rooms/$SLUG/messages/$id"
done
fetch_pages 1
curl -fsS --max-time 10 -o "$WORK/page.html" "$URL/r/$SLUG"
shown=$(grep -c '<li class="message' "$WORK/page.html" || true)
stop_cms

# ---- 2. the page under callgrind: B pages, then B + N pages ----
measure() {
    local pages=$1 out=$2
    start_cms timeout 1800 valgrind --tool=callgrind --callgrind-out-file="$out" --dump-instr=no
    fetch_pages 5 # warm-up: connection pools, template compilation, lazy statics
    fetch_pages "$pages"
    stop_cms
    # "summary:" (or "totals:") is the whole process's instruction count (Ir).
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}
few=$(measure "$BASE" "$WORK/callgrind.few")
many=$(measure "$((BASE + PAGES))" "$WORK/callgrind.many")
if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$WORK"/callgrind.few "$WORK"/callgrind.many "$KEEP"/; fi
echo "room page: $shown messages shown (of $MESSAGES posted), $(wc -c <"$WORK/page.html") bytes"
echo "instructions: $few for $BASE pages, $many for $((BASE + PAGES)) pages (each run + start-up, 5 warm-up pages, shutdown)"
echo "instructions per page: $(( (many - few) / PAGES ))"
