#!/usr/bin/env bash
# Benchmarks: tm-bench scenarios against the reference peers and tm-gateway, interleaved over
# repetitions, then a Markdown comparison.
#
#   scripts/bench/run.sh [--smoke] [--reps N] [--n N] [--targets uws,node-ws,tm-gateway]
#                        [--scenarios s1,s2,s3,s4,s5,s6] [--publish ws|http] [--out DIR]
#
# Servers run pinned to core 0 (taskset -c 0), one at a time; the generator runs on core 1.
# Results: $OUT/results.jsonl (JSON lines, one per case), $OUT/report.md (medians, ratios against
# uws), logs in $OUT/logs/. --smoke: N=2000, one repetition, S1–S3, ~2–3 minutes; it flags
# gross regressions (10× worse than uws) in the report but never fails on them (use
# `tm-bench compare --enforce` for that). Everything talks to 127.0.0.1 only; every step has a
# time bound. --publish applies to the peers; tm-gateway is always published to over AMQP.
#
# tm-gateway is built (release) and started here on 127.0.0.1:9003 with bus prefix tm-bench. and
# a join-token secret made up per run; it needs RabbitMQ on 127.0.0.1:5672 (scripts/dev-services.sh
# is run when it does not answer). After each gateway run its broker topology is deleted
# (`tm-bench cleanup-bus`).
#
# Environment: TM_SHARED (default ../shared beside the repo) holds bench/peers/;
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
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --reps) REPS=$2; shift ;;
        --n) N=$2; shift ;;
        --targets) TARGETS=$2; shift ;;
        --scenarios) SCENARIOS=$2; shift ;;
        --publish) PUBLISH=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done
if [ "$SMOKE" = 1 ]; then
    REPS=1
    N=${N:-2000}
    SCENARIOS=${SCENARIOS:-s1,s2,s3}
else
    SCENARIOS=${SCENARIOS:-s1,s2,s3,s4,s5,s6}
fi

SHARED=${TM_SHARED:-$ROOT/../shared}
PEERS_SRC="$SHARED/bench/peers"
[ -f "$PEERS_SRC/uws.js" ] || { echo "run.sh: no peers in $PEERS_SRC (set TM_SHARED)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node is needed for the peers" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run.sh: taskset (util-linux) is needed" >&2; exit 1; }
CORES=$(nproc)
if [ "$CORES" -lt 2 ]; then
    echo "run.sh: fewer than 2 cores; server and generator will share core 0" >&2
    SERVER_CPU=0; GEN_CPU=0
else
    SERVER_CPU=0; GEN_CPU=1
fi

IFS=, read -r -a TLIST <<<"$TARGETS"
IFS=, read -r -a SLIST <<<"$SCENARIOS"
has_target() { local t; for t in "${TLIST[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
if [ -n "${TM_BENCH_GATEWAY_URL:-}" ] && ! has_target tm-gateway; then TLIST+=(tm-gateway); fi
# Our own gateway unless an already running one was named.
OWN_GATEWAY=0
if has_target tm-gateway && [ -z "${TM_BENCH_GATEWAY_URL:-}" ]; then OWN_GATEWAY=1; fi
readonly GW_PORT=9003
# Fixed, so that at most one set of bench exchanges and queues can ever linger on the broker.
readonly GW_BUS_PREFIX=tm-bench.
# Made up per run (48 hex digits): nothing but this run can mint tokens for its gateway.
GW_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
readonly GW_SECRET

mkdir -p "$OUT/logs"
RESULTS="$OUT/results.jsonl"
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$([ "$SMOKE" = 1 ] && echo smoke || echo full)"
echo "run.sh: run $RUN_ID, reps $REPS, targets $(IFS=,; echo "${TLIST[*]}"), scenarios $SCENARIOS -> $RESULTS"

if [ "$OWN_GATEWAY" = 1 ]; then
    command -v curl >/dev/null || { echo "run.sh: curl is needed to wait for tm-gateway" >&2; exit 1; }
    broker_up() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672' 2>/dev/null; }
    if ! broker_up; then
        echo "run.sh: RabbitMQ does not answer on 127.0.0.1:5672 (tm-gateway needs it); running scripts/dev-services.sh"
        timeout 300 "$ROOT/scripts/dev-services.sh" \
            || { echo "run.sh: scripts/dev-services.sh failed; start RabbitMQ (make services) or drop tm-gateway from --targets" >&2; exit 1; }
        broker_up || { echo "run.sh: RabbitMQ still does not answer on 127.0.0.1:5672" >&2; exit 1; }
    fi
    echo "run.sh: building tm-bench and tm-gateway (release)"
    cargo build --release -p tm-bench -p tm-gateway --quiet
else
    echo "run.sh: building tm-bench (release)"
    cargo build --release -p tm-bench --quiet
fi
BENCH="$ROOT/target/release/tm-bench"

PEERS=$(mktemp -d "${TMPDIR:-/tmp}/tm-bench-peers.XXXXXX")
SERVER_PID=""
GW_STARTED=0
cleanup() {
    # stop_target is defined further down; an early exit has nothing to stop.
    if declare -F stop_target >/dev/null; then stop_target; fi
    rm -rf "$PEERS"
}
trap cleanup EXIT
cp -r "$PEERS_SRC/." "$PEERS"
chmod -R u+w "$PEERS"
echo "run.sh: npm install of the peers into $PEERS"
(cd "$PEERS" && timeout 300 npm install --no-audit --no-fund >"$OUT/logs/npm.log" 2>&1) \
    || { echo "run.sh: npm install failed, see $OUT/logs/npm.log" >&2; exit 1; }

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

# Starts our tm-gateway; sets SERVER_PID, URL, KIND, EXTRA.
start_gateway() {
    local log="$OUT/logs/tm-gateway.log"
    if curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$GW_PORT/"; then
        echo "run.sh: something already listens on 127.0.0.1:$GW_PORT; stop it first" >&2
        return 1
    fi
    (
        ulimit -n "$(ulimit -Hn)"
        # Bench-only settings: no origin list (tm-bench sends no Origin), and no per-address
        # socket cap where the binary has one (the generator is one host on 127.0.0.x).
        cap=()
        if grep -aq max_connections_per_ip "$ROOT/target/release/tm-gateway"; then
            cap=(TM_GATEWAY__HTTP__MAX_CONNECTIONS_PER_IP=0)
        fi
        exec env TM_GATEWAY__HTTP__BIND=127.0.0.1:$GW_PORT TM_GATEWAY__BUS__PREFIX=$GW_BUS_PREFIX \
            TM_GATEWAY__TOKENS__SECRET="$GW_SECRET" TM_GATEWAY__LOG__FILTER=warn \
            TM_GATEWAY__HTTP__ALLOWED_ORIGINS= "${cap[@]}" \
            taskset -c "$SERVER_CPU" "$ROOT/target/release/tm-gateway"
    ) >"$log" 2>&1 &
    SERVER_PID=$!
    GW_STARTED=1
    URL="ws://127.0.0.1:$GW_PORT/ws"
    KIND=gateway
    EXTRA=(--bus-prefix "$GW_BUS_PREFIX")
    export TM_BENCH_JOIN_SECRET=$GW_SECRET
    # Ready = listening and subscribed to the broker.
    for _ in $(seq 1 200); do
        curl -fsS --max-time 1 "http://127.0.0.1:$GW_PORT/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "run.sh: tm-gateway did not become ready on 127.0.0.1:$GW_PORT within 20 s (or exited); see $log" >&2
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

stop_target() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        # tm-gateway drains for up to drain_secs (10 s) on SIGTERM; never wait much longer.
        for _ in $(seq 1 150); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
    if [ "$GW_STARTED" = 1 ]; then
        # Its quorum command queues and exchanges outlive the gateway: leave nothing of ours.
        timeout 60 "$BENCH" cleanup-bus --bus-prefix "$GW_BUS_PREFIX" 2>>"$OUT/logs/tm-gateway.log" \
            || echo "run.sh: could not delete the ${GW_BUS_PREFIX} topology on the broker; see $OUT/logs/tm-gateway.log" >&2
        GW_STARTED=0
    fi
    sleep 1
}

FAILED=0
for rep in $(seq 1 "$REPS"); do
    # Interleave: rotate the target order each repetition so drift hits every target alike.
    n=${#TLIST[@]}
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
done

FLAG=()
if [ "$SMOKE" = 1 ]; then FLAG=(--flag-factor 10); fi
"$BENCH" compare "$RESULTS" --run "$RUN_ID" --baseline uws "${FLAG[@]}" >"$OUT/report.md"
{
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Node $(node --version)."
} >>"$OUT/report.md"
echo "run.sh: report in $OUT/report.md"
cat "$OUT/report.md"
if [ "$FAILED" != 0 ]; then
    echo "run.sh: some scenarios failed (see above)" >&2
    exit 1
fi
