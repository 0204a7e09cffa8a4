#!/usr/bin/env bash
# Benchmarks: tm-bench scenarios against the reference peers and tm-gateway, interleaved over
# repetitions, then a Markdown comparison.
#
#   scripts/bench/run.sh [--smoke] [--reps N] [--n N] [--targets uws,node-ws,tm-gateway]
#                        [--scenarios s1,s2,s3,s4,s5,s6,s7,s8] [--publish ws|http] [--out DIR]
#                        [--e2e] [--s7-rates a,b,c] [--s7-via http,ws]
#
# Servers run pinned to core 0 (taskset -c 0), one at a time; the generator runs on core 1.
# Results: $OUT/results.jsonl (JSON lines, one per case), $OUT/report.md (medians, ratios against
# uws), logs in $OUT/logs/. --smoke: N=2000, one repetition, S1–S3 and the e2e stage's S7 and
# S8 at small size, ~6 minutes (CI runs it); it flags figures 10× worse than uws in the report
# and FAILS on the gates for regressions of about 2× (see "CI's gates" below): tm-gateway's
# memory per socket and CPU per delivery, tm-cms's CPU per post and per room page, anything
# lost in S2 or end to end in S7. Everything talks to 127.0.0.1 only; every step has a
# time bound. --publish applies to the peers; tm-gateway is always published to over AMQP.
#
# tm-gateway is built (release) and started here on 127.0.0.1:9003 with bus prefix tm-bench. and
# a join-token secret made up per run; it needs RabbitMQ on 127.0.0.1:5672 (scripts/dev-services.sh
# is run when it does not answer). After each gateway run its broker topology is deleted
# (`tm-bench cleanup-bus`).
#
# S7 and S8 (end to end through tm-cms; tm-gateway only, the peers have no CMS) run in their own
# stage after the per-target loop: a private MariaDB database tm_bench_<pid> (dropped at the end),
# `tm-cms migrate`, then tm-cms on 127.0.0.1:9044 and tm-gateway on 127.0.0.1:9043, both pinned
# to core 0, with bus prefix tm-bench-e2e. and the CMS's rate limits raised; first the RabbitMQ
# baseline (`tm-bench amqp-baseline`), then S7, then S8. --e2e runs only that stage (S7, S8 and
# the baseline; no peers, no npm). --s7-rates runs S7 at each rate (a ramp) instead of one.
# --s7-via: how S7 posts, once for each way listed (default http,ws: tm-cms's HTTP API, then
# tm-gateway's WebSocket).
#
# Environment: TM_SHARED (default ../shared beside the repo) holds bench/peers/ (else the copy in
# scripts/bench/peers/ is used);
# TM_BENCH_GATEWAY_URL + TM_BENCH_GATEWAY_PID measure an already running tm-gateway instead (then
# also set TM_BENCH_JOIN_SECRET to its tokens.secret and TM_BENCH_BUS_PREFIX to its bus.prefix).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD

SMOKE=0
REPS=3
N=""
TARGETS="uws,node-ws,tm-gateway"
SCENARIOS=""
PUBLISH=ws
OUT="$ROOT/target/bench"
E2E_ONLY=0
S7_RATES=""
S7_VIA="http,ws"
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --reps) REPS=$2; shift ;;
        --n) N=$2; shift ;;
        --targets) TARGETS=$2; shift ;;
        --scenarios) SCENARIOS=$2; shift ;;
        --publish) PUBLISH=$2; shift ;;
        --out) OUT=$2; shift ;;
        --e2e) E2E_ONLY=1 ;;
        --s7-rates) S7_RATES=$2; shift ;;
        --s7-via) S7_VIA=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done
if [ "$E2E_ONLY" = 1 ]; then
    TARGETS=tm-gateway
    SCENARIOS=${SCENARIOS:-s7,s8}
    [ "$SMOKE" = 1 ] && REPS=1
elif [ "$SMOKE" = 1 ]; then
    REPS=1
    N=${N:-2000}
    SCENARIOS=${SCENARIOS:-s1,s2,s3,s7,s8}
else
    SCENARIOS=${SCENARIOS:-s1,s2,s3,s4,s5,s6,s7,s8}
fi

IFS=, read -r -a TLIST <<<"$TARGETS"
has_peer() { local t; for t in "${TLIST[@]}"; do [ "$t" != tm-gateway ] && return 0; done; return 1; }
# The peers: the design folder's copy when it is there (TM_SHARED, else ../shared beside the
# repo), else the copy kept in scripts/bench/peers/ so a clone anywhere can run the benchmark.
SHARED=${TM_SHARED:-$ROOT/../shared}
PEERS_SRC="$SHARED/bench/peers"
if [ ! -f "$PEERS_SRC/uws.js" ]; then
    PEERS_SRC="$ROOT/scripts/bench/peers"
elif ! diff -q "$PEERS_SRC/uws.js" "$ROOT/scripts/bench/peers/uws.js" >/dev/null 2>&1 \
    || ! diff -q "$PEERS_SRC/node-ws.js" "$ROOT/scripts/bench/peers/node-ws.js" >/dev/null 2>&1; then
    echo "run.sh: note: $PEERS_SRC differs from scripts/bench/peers/ (using the former; refresh the copy)" >&2
fi
if has_peer; then
    [ -f "$PEERS_SRC/uws.js" ] || { echo "run.sh: no peers in $PEERS_SRC" >&2; exit 1; }
    command -v node >/dev/null || { echo "run.sh: node is needed for the peers" >&2; exit 1; }
fi
command -v taskset >/dev/null || { echo "run.sh: taskset (util-linux) is needed" >&2; exit 1; }
CORES=$(nproc)
if [ "$CORES" -lt 2 ]; then
    echo "run.sh: fewer than 2 cores; server and generator will share core 0" >&2
    SERVER_CPU=0; GEN_CPU=0
else
    SERVER_CPU=0; GEN_CPU=1
fi

IFS=, read -r -a ALL_SLIST <<<"$SCENARIOS"
# S7 and S8 need tm-cms and run in the e2e stage; SLIST is what the per-target loop runs.
SLIST=()
E2E_SLIST=()
for s in "${ALL_SLIST[@]}"; do
    case $s in s7|s8) E2E_SLIST+=("$s") ;; *) SLIST+=("$s") ;; esac
done
has_target() { local t; for t in "${TLIST[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
if [ -n "${TM_BENCH_GATEWAY_URL:-}" ] && ! has_target tm-gateway; then TLIST+=(tm-gateway); fi
# Our own gateway unless an already running one was named.
OWN_GATEWAY=0
if has_target tm-gateway && [ -z "${TM_BENCH_GATEWAY_URL:-}" ]; then OWN_GATEWAY=1; fi
E2E=0
if [ "${#E2E_SLIST[@]}" -gt 0 ]; then
    if [ "$OWN_GATEWAY" = 1 ]; then
        E2E=1
    else
        echo "run.sh: s7/s8 need tm-gateway as a target started here (not TM_BENCH_GATEWAY_URL); skipping them" >&2
    fi
fi
# The e2e stage's own ports and bus prefix, apart from the gateway target's (9003, tm-bench.),
# so that neither cleans up after the other.
readonly E2E_GW_PORT=9043 E2E_CMS_PORT=9044 E2E_BUS_PREFIX=tm-bench-e2e.
readonly GW_PORT=9003
# Fixed, so that at most one set of bench exchanges and queues can ever linger on the broker.
readonly GW_BUS_PREFIX=tm-bench.
# Made up per run (48 hex digits): nothing but this run can mint tokens for its gateway.
GW_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
readonly GW_SECRET

mkdir -p "$OUT/logs"
RESULTS="$OUT/results.jsonl"
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$([ "$E2E_ONLY" = 1 ] && echo e2e- || true)$([ "$SMOKE" = 1 ] && echo smoke || echo full)"
echo "run.sh: run $RUN_ID, reps $REPS, targets $(IFS=,; echo "${TLIST[*]}"), scenarios $SCENARIOS -> $RESULTS"

if [ "$OWN_GATEWAY" = 1 ] || [ "$E2E" = 1 ]; then
    command -v curl >/dev/null || { echo "run.sh: curl is needed to wait for tm-gateway" >&2; exit 1; }
    broker_up() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672' 2>/dev/null; }
    if ! broker_up; then
        echo "run.sh: RabbitMQ does not answer on 127.0.0.1:5672 (tm-gateway needs it); running scripts/dev-services.sh"
        timeout 300 "$ROOT/scripts/dev-services.sh" \
            || { echo "run.sh: scripts/dev-services.sh failed; start RabbitMQ (make services) or drop tm-gateway from --targets" >&2; exit 1; }
        broker_up || { echo "run.sh: RabbitMQ still does not answer on 127.0.0.1:5672" >&2; exit 1; }
    fi
    if [ "$E2E" = 1 ]; then
        # MariaDB too (and .run/dev-services.env with an account that may create databases).
        timeout 300 "$ROOT/scripts/dev-services.sh" >"$OUT/logs/dev-services.log" 2>&1 \
            || { echo "run.sh: scripts/dev-services.sh failed (s7/s8 need MariaDB); see $OUT/logs/dev-services.log" >&2; exit 1; }
        echo "run.sh: building tm-bench, tm-gateway and tm-cms (release)"
        timeout 3600 cargo build --release -p tm-bench -p tm-gateway -p tm-cms --quiet
    else
        echo "run.sh: building tm-bench and tm-gateway (release)"
        cargo build --release -p tm-bench -p tm-gateway --quiet
    fi
else
    echo "run.sh: building tm-bench (release)"
    cargo build --release -p tm-bench --quiet
fi
BENCH="$ROOT/target/release/tm-bench"

PEERS=$(mktemp -d "${TMPDIR:-/tmp}/tm-bench-peers.XXXXXX")
SERVER_PID=""
GW_STARTED=0
CMS_PID=""
E2E_DB=""
cleanup() {
    # stop_target and e2e_drop_db are defined further down; an early exit has nothing to stop.
    if declare -F stop_target >/dev/null; then stop_target; fi
    if declare -F e2e_drop_db >/dev/null; then e2e_drop_db; fi
    rm -rf "$PEERS"
}
trap cleanup EXIT
if has_peer; then
    cp -r "$PEERS_SRC/." "$PEERS"
    chmod -R u+w "$PEERS"
    echo "run.sh: npm install of the peers into $PEERS"
    (cd "$PEERS" && timeout 300 npm install --no-audit --no-fund >"$OUT/logs/npm.log" 2>&1) \
        || { echo "run.sh: npm install failed, see $OUT/logs/npm.log" >&2; exit 1; }
fi

# Scenario flags: CI-small (smoke, N) or full.
scenario_args() {
    local s=$1
    if [ -n "$N" ]; then
        case $s in
            s1) echo "--steps $((N / 4)),$((N / 2)),$N" ;;
            s2) echo "--subs $N --rates 1,20 --duration 10" ;;
            s3) echo "--subs $((N / 2)) --rates 20,50,100,200,400,800,1600 --step 2" ;;
            s4) echo "--rooms $((N / 10)) --per-room 10 --rate 200 --duration 10" ;;
            s5) echo "--conns $N --cycles 3" ;;
            s6) echo "--subs $((N / 10 > 100 ? N / 10 : 100)) --duration 20" ;;
        esac
    else
        case $s in
            s1) echo "--steps 1000,5000,10000,19000 --settle 3" ;;
            s2) echo "--subs 2000,10000 --rates 1,20 --duration 30" ;;
            s3) echo "--subs 2000 --rates 20,50,100,200,400,800,1600,3200 --step 5" ;;
            s4) echo "--rooms 1000 --per-room 10 --rate 500 --duration 30" ;;
            s5) echo "--conns 10000 --cycles 5" ;;
            s6) echo "--subs 200 --duration 30" ;;
        esac
    fi
}

# Starts our tm-gateway; sets SERVER_PID, URL, KIND, EXTRA. Optional: port, bus prefix, log
# (the e2e stage runs its own).
start_gateway() {
    local port=${1:-$GW_PORT} prefix=${2:-$GW_BUS_PREFIX} log=${3:-$OUT/logs/tm-gateway.log}
    STARTED_PREFIX=$prefix
    STARTED_LOG=$log
    if curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$port/"; then
        echo "run.sh: something already listens on 127.0.0.1:$port; stop it first" >&2
        return 1
    fi
    (
        ulimit -n "$(ulimit -Hn)"
        # Bench-only settings: no origin list (tm-bench sends no Origin), and no per-address
        # socket cap or post budget where the binary has them (the generator is one host on
        # 127.0.0.x).
        cap=()
        if grep -aq max_connections_per_ip "$ROOT/target/release/tm-gateway"; then
            cap=(TM_GATEWAY__HTTP__MAX_CONNECTIONS_PER_IP=0)
        fi
        if grep -aq posts_per_address_per_minute "$ROOT/target/release/tm-gateway"; then
            cap+=(TM_GATEWAY__WS__POSTS_PER_ADDRESS_PER_MINUTE=0)
        fi
        exec env TM_GATEWAY__HTTP__BIND=127.0.0.1:$port TM_GATEWAY__BUS__PREFIX=$prefix \
            TM_GATEWAY__TOKENS__SECRET="$GW_SECRET" TM_GATEWAY__LOG__FILTER=warn \
            TM_GATEWAY__HTTP__ALLOWED_ORIGINS= "${cap[@]}" \
            taskset -c "$SERVER_CPU" "$ROOT/target/release/tm-gateway"
    ) >"$log" 2>&1 &
    SERVER_PID=$!
    GW_STARTED=1
    URL="ws://127.0.0.1:$port/ws"
    KIND=gateway
    EXTRA=(--bus-prefix "$prefix")
    export TM_BENCH_JOIN_SECRET=$GW_SECRET
    # Ready = listening and subscribed to the broker.
    for _ in $(seq 1 200); do
        curl -fsS --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "run.sh: tm-gateway did not become ready on 127.0.0.1:$port within 20 s (or exited); see $log" >&2
    return 1
}

# Starts target $1; sets SERVER_PID, URL, KIND, EXTRA (more tm-bench flags).
start_target() {
    local t=$1 log="$OUT/logs/$1.log" port
    KIND=peer
    EXTRA=()
    case $t in
        uws) port=9002; PORT=$port taskset -c "$SERVER_CPU" node "$PEERS/uws.js" >"$log" 2>&1 & ;;
        node-ws) port=9001; PORT=$port taskset -c "$SERVER_CPU" node "$PEERS/node-ws.js" >"$log" 2>&1 & ;;
        tm-gateway)
            if [ "$OWN_GATEWAY" = 1 ]; then
                start_gateway
                return
            fi
            [ -n "${TM_BENCH_GATEWAY_PID:-}" ] \
                || { echo "run.sh: TM_BENCH_GATEWAY_URL needs TM_BENCH_GATEWAY_PID too" >&2; return 1; }
            SERVER_PID=""; URL=$TM_BENCH_GATEWAY_URL; KIND=gateway
            GW_PID=$TM_BENCH_GATEWAY_PID
            return 0 ;;
        *) echo "run.sh: unknown target $t" >&2; return 1 ;;
    esac
    SERVER_PID=$!
    URL="ws://127.0.0.1:$port/ws"
    for _ in $(seq 1 100); do
        grep -q "listening $port" "$log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "listening $port" "$log" || { echo "run.sh: $t did not start, see $log" >&2; return 1; }
    # The uws package silently falls back to a JavaScript implementation if its native binary
    # does not load; that would not be uWebSockets at all.
    if grep -qi "falling back" "$log"; then
        echo "run.sh: $t is running its JavaScript fallback, not native uWS; see $log" >&2
        return 1
    fi
}

# Stops the target (and the e2e stage's tm-cms): SIGTERM to both, then a bounded wait.
stop_target() {
    local pid
    for pid in "$SERVER_PID" "$CMS_PID"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for pid in "$SERVER_PID" "$CMS_PID"; do
        [ -n "$pid" ] || continue
        # tm-gateway drains for up to drain_secs (10 s) on SIGTERM; never wait much longer.
        for _ in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PID=""
    CMS_PID=""
    if [ "$GW_STARTED" = 1 ]; then
        # Its quorum command queues and exchanges outlive the gateway: leave nothing of ours.
        timeout 60 "$BENCH" cleanup-bus --bus-prefix "${STARTED_PREFIX:-$GW_BUS_PREFIX}" 2>>"${STARTED_LOG:-$OUT/logs/tm-gateway.log}" \
            || echo "run.sh: could not delete the ${STARTED_PREFIX:-$GW_BUS_PREFIX} topology on the broker; see ${STARTED_LOG:-$OUT/logs/tm-gateway.log}" >&2
        GW_STARTED=0
    fi
    sleep 1
}

# ---- e2e stage (S7, S8): tm-cms + MariaDB + RabbitMQ + tm-gateway ----

# The database server URL (mysql://user[:pass]@host:port) from scripts/dev-services.sh.
e2e_db_server() {
    # shellcheck disable=SC1091
    [ -f "$ROOT/.run/dev-services.env" ] && . "$ROOT/.run/dev-services.env"
    echo "${TM_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306}"
}

# Runs SQL with the mariadb client against the server of e2e_db_server (bounded).
e2e_sql() {
    local server userhost user hostport dbuser dbpass
    server=$(e2e_db_server)
    userhost=${server#mysql://}; userhost=${userhost%%/*}
    user=${userhost%@*}; hostport=${userhost#*@}
    dbuser=${user%%:*}; dbpass=; [ "$user" != "$dbuser" ] && dbpass=${user#*:}
    timeout 30 mariadb -h "${hostport%:*}" -P "${hostport##*:}" -u "$dbuser" ${dbpass:+-p"$dbpass"} \
        --protocol=TCP -e "$1"
}

e2e_drop_db() {
    if [ -n "$E2E_DB" ]; then
        e2e_sql "DROP DATABASE IF EXISTS \`$E2E_DB\`" \
            || echo "run.sh: could not drop database $E2E_DB; drop it by hand" >&2
        E2E_DB=""
    fi
}

e2e_args() {
    local s=$1 rate
    if [ -n "$S7_RATES" ]; then rate="--rates $S7_RATES"; elif [ "$SMOKE" = 1 ]; then rate="--rate 50"; else rate="--rate 500"; fi
    if [ "$SMOKE" = 1 ]; then
        case $s in
            s7) echo "--rooms 10 --per-room 10 --duration 10 --warmup 2 $rate" ;;
            s8) echo "--duration 5" ;;
            baseline) echo "--duration 3" ;;
        esac
    else
        case $s in
            s7) echo "--rooms 100 --per-room 100 --duration 30 --warmup 5 $rate" ;;
            s8) echo "--duration 20" ;;
            baseline) echo "--duration 5" ;;
        esac
    fi
}

# One repetition of the e2e stage: baseline, database, tm-cms + tm-gateway, S7/S8, teardown.
e2e_stage() {
    local rep=$1 cms_log="$OUT/logs/tm-cms.log" gw_log="$OUT/logs/tm-gateway-e2e.log" amqp
    local cms_url="http://127.0.0.1:$E2E_CMS_PORT" gw_ws="ws://127.0.0.1:$E2E_GW_PORT/ws" db_url
    amqp=${TM_BENCH_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
    echo "run.sh: rep $rep/$REPS, e2e: RabbitMQ baseline $(e2e_args baseline)"
    # shellcheck disable=SC2046
    timeout 120 taskset -c "$GEN_CPU" "$BENCH" amqp-baseline $(e2e_args baseline) --bus-prefix "$E2E_BUS_PREFIX" \
        --cleanup --run-id "$RUN_ID" --rep "$rep" >>"$RESULTS" 2>>"$OUT/logs/tm-bench-e2e.log" \
        || { echo "run.sh:   amqp-baseline failed; see $OUT/logs/tm-bench-e2e.log" >&2; FAILED=1; }
    E2E_DB="tm_bench_$$"
    e2e_sql "CREATE DATABASE IF NOT EXISTS \`$E2E_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" \
        || { echo "run.sh: could not create database $E2E_DB" >&2; E2E_DB=""; return 1; }
    db_url="$(e2e_db_server)"; db_url="${db_url%/}/$E2E_DB"
    local cms_env=(
        TM_CMS__HTTP__BIND=127.0.0.1:$E2E_CMS_PORT TM_CMS__HTTP__PUBLIC_URL="$cms_url"
        TM_CMS__HTTP__GATEWAY_URL="$gw_ws" TM_CMS__DATABASE__URL="$db_url"
        TM_CMS__BUS__URL="$amqp" TM_CMS__BUS__PREFIX="$E2E_BUS_PREFIX" TM_CMS__JOIN__SECRET="$GW_SECRET"
        # The generator posts from one address as one participant: lift the limits far out of the way.
        TM_CMS__POSTING__PER_MINUTE=100000000 TM_CMS__POSTING__BURST=10000000
        TM_CMS__JOIN__ATTEMPTS_PER_MINUTE=10000000 TM_CMS__ROOMS__CREATES_PER_ADDRESS=10000000
        TM_CMS__LOG__FILTER=warn
    )
    timeout 120 env "${cms_env[@]}" "$ROOT/target/release/tm-cms" migrate >"$cms_log" 2>&1 \
        || { echo "run.sh: tm-cms migrate failed; see $cms_log" >&2; return 1; }
    if curl -s --max-time 1 -o /dev/null "$cms_url/"; then
        echo "run.sh: something already listens on 127.0.0.1:$E2E_CMS_PORT; stop it first" >&2
        return 1
    fi
    env "${cms_env[@]}" taskset -c "$SERVER_CPU" "$ROOT/target/release/tm-cms" serve >>"$cms_log" 2>&1 &
    CMS_PID=$!
    start_gateway "$E2E_GW_PORT" "$E2E_BUS_PREFIX" "$gw_log" || return 1
    local ok=0
    for _ in $(seq 1 300); do
        if curl -fsS --max-time 1 "$cms_url/readyz" >/dev/null 2>&1; then ok=1; break; fi
        kill -0 "$CMS_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ "$ok" = 1 ] || { echo "run.sh: tm-cms did not become ready on $cms_url within 30 s (or exited); see $cms_log" >&2; return 1; }
    local s
    for s in "${E2E_SLIST[@]}"; do
        echo "run.sh:   $s $(e2e_args "$s")"
        case $s in
            s7)
                local via via_failed=0
                for via in ${S7_VIA//,/ }; do
                    echo "run.sh:     posting via $via"
                    # shellcheck disable=SC2046
                    timeout 900 taskset -c "$GEN_CPU" "$BENCH" s7 $(e2e_args s7) --url "$gw_ws" --target-kind gateway \
                        --target-name tm-gateway --pid "$SERVER_PID" --cms-url "$cms_url" --cms-pid "$CMS_PID" \
                        --bus-prefix "$E2E_BUS_PREFIX" --run-id "$RUN_ID" --rep "$rep" --post-via "$via" \
                        >>"$RESULTS" 2>>"$OUT/logs/tm-bench-e2e.log" || via_failed=1
                done
                [ "$via_failed" = 0 ] ;;
            s8)
                # shellcheck disable=SC2046
                timeout 600 taskset -c "$GEN_CPU" "$BENCH" s8 $(e2e_args s8) --cms-url "$cms_url" \
                    --cms-pid "$CMS_PID" --run-id "$RUN_ID" --rep "$rep" \
                    >>"$RESULTS" 2>>"$OUT/logs/tm-bench-e2e.log" ;;
        esac || { echo "run.sh:   $s failed; see $OUT/logs/tm-bench-e2e.log" >&2; FAILED=1; }
    done
}

FAILED=0
for rep in $(seq 1 "$REPS"); do
    # Interleave: rotate the target order each repetition so drift hits every target alike.
    n=${#TLIST[@]}
    [ "${#SLIST[@]}" -eq 0 ] && n=0
    for i in $(seq 0 $((n - 1))); do
        t=${TLIST[$(((i + rep - 1) % n))]}
        echo "run.sh: rep $rep/$REPS, target $t"
        start_target "$t" || { FAILED=1; stop_target; continue; }
        pid=${SERVER_PID:-${GW_PID:-}}
        for s in "${SLIST[@]}"; do
            echo "run.sh:   $s $(scenario_args "$s")"
            # shellcheck disable=SC2046
            if ! timeout 900 taskset -c "$GEN_CPU" "$BENCH" "$s" $(scenario_args "$s") \
                --url "$URL" --target-kind "$KIND" --target-name "$t" --pid "$pid" \
                --publish "$PUBLISH" --run-id "$RUN_ID" --rep "$rep" "${EXTRA[@]}" \
                >>"$RESULTS" 2>>"$OUT/logs/tm-bench-$t.log"; then
                echo "run.sh:   $s against $t failed; see $OUT/logs/tm-bench-$t.log" >&2
                FAILED=1
            fi
        done
        stop_target
    done
    if [ "$E2E" = 1 ]; then
        e2e_stage "$rep" || FAILED=1
        stop_target
        e2e_drop_db
    fi
done

FLAG=()
GATED=0
has_scenario() { local s; for s in "${ALL_SLIST[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
if [ "$SMOKE" = 1 ]; then
    FLAG=(--flag-factor 10)
    # CI's gates, on the figures that hold up on a busy shared machine (memory, CPU per
    # operation, nothing lost), never on latency. Each is set about 1.5x above the slowest
    # figure seen (docs/benchmarks.md, "CI's gates"), so noise passes and a 2x regression fails.
    # CPU is compared with uws where there is a peer (it moves with the machine); tm-cms has no
    # peer, so its bounds are absolute, measured on the 2-core machines CI runs on, whose
    # speed moved by 2x within one day. Memory per
    # socket is absolute too: uws's own figure at 2,000 sockets is mostly RSS noise.
    if has_target tm-gateway && [ "$E2E_ONLY" = 0 ]; then
        if has_scenario s1; then GATED=1; FLAG+=(--limit tm-gateway:s1:bytes_per_conn=5000); fi
        if has_scenario s2 && has_target uws; then
            GATED=1
            FLAG+=(--gate s2:cpu_us_per_delivery=2.2 --gate s2:delivered_ratio=1.05)
        fi
    fi
    if [ "$E2E" = 1 ]; then
        if has_scenario s7; then
            GATED=1
            FLAG+=(--limit tm-gateway:s7:delivered_ratio=1 --limit tm-gateway:s7:cms_cpu_us_per_post=2900)
        fi
        if has_scenario s8; then
            GATED=1
            FLAG+=(--limit tm-cms:s8/page:cms_cpu_us_per_request=1100 --limit tm-cms:s8/post:cms_cpu_us_per_request=1500)
        fi
    fi
fi
GATES_OK=1
"$BENCH" compare "$RESULTS" --run "$RUN_ID" --baseline uws "${FLAG[@]}" >"$OUT/report.md" || GATES_OK=0
{
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).$(has_peer && echo " Node $(node --version).")"
} >>"$OUT/report.md"
echo "run.sh: report in $OUT/report.md"
cat "$OUT/report.md"
if [ "$FAILED" != 0 ]; then
    echo "run.sh: some scenarios failed (see above)" >&2
    exit 1
fi
if [ "$GATES_OK" != 1 ]; then
    echo "run.sh: a gate failed: a regression (see \"Gates\" and \"Limits\" above)" >&2
    exit 1
fi
[ "$GATED" = 1 ] && echo "run.sh: every gate held"
exit 0
