#!/usr/bin/env bash
# Benchmarks: tm-bench scenarios against the reference peers (and tm-gateway once it can be
# published to), interleaved over repetitions, then a Markdown comparison.
#
#   scripts/bench/run.sh [--smoke] [--reps N] [--n N] [--targets uws,node-ws]
#                        [--scenarios s1,s2,s3,s4,s5,s6] [--publish ws|http] [--out DIR]
#
# Servers run pinned to core 0 (taskset -c 0), one at a time; the generator runs on core 1.
# Results: $OUT/results.jsonl (JSON lines, one per case), $OUT/report.md (medians, ratios against
# uws), logs in $OUT/logs/. --smoke: N=2000, one repetition, S1–S3, ~2–3 minutes; it flags
# gross regressions (10× worse than uws) in the report but never fails on them (not enforced
# until tm-gateway is measured). Everything talks to 127.0.0.1 only; every step has a time bound.
#
# Environment: TM_SHARED (default ../shared beside the repo) holds bench/peers/;
# TM_BENCH_GATEWAY_URL + TM_BENCH_GATEWAY_PID add an already running tm-gateway as a target
# (only scenarios without publishing work until the AMQP publisher exists).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD

SMOKE=0
REPS=3
N=""
TARGETS="uws,node-ws"
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
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
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

mkdir -p "$OUT/logs"
RESULTS="$OUT/results.jsonl"
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$([ "$SMOKE" = 1 ] && echo smoke || echo full)"
echo "run.sh: run $RUN_ID, reps $REPS, targets $TARGETS, scenarios $SCENARIOS -> $RESULTS"

echo "run.sh: building tm-bench (release)"
cargo build --release -p tm-bench --quiet
BENCH="$ROOT/target/release/tm-bench"

PEERS=$(mktemp -d "${TMPDIR:-/tmp}/tm-bench-peers.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
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

# Starts target $1; sets SERVER_PID, URL, KIND.
start_target() {
    local t=$1 log="$OUT/logs/$1.log" port
    KIND=peer
    case $t in
        uws) port=9002; PORT=$port taskset -c "$SERVER_CPU" node "$PEERS/uws.js" >"$log" 2>&1 & ;;
        node-ws) port=9001; PORT=$port taskset -c "$SERVER_CPU" node "$PEERS/node-ws.js" >"$log" 2>&1 & ;;
        tm-gateway)
            [ -n "${TM_BENCH_GATEWAY_URL:-}" ] && [ -n "${TM_BENCH_GATEWAY_PID:-}" ] \
                || { echo "run.sh: tm-gateway needs TM_BENCH_GATEWAY_URL and TM_BENCH_GATEWAY_PID" >&2; return 1; }
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
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
    sleep 1
}

IFS=, read -r -a TLIST <<<"$TARGETS"
IFS=, read -r -a SLIST <<<"$SCENARIOS"
if [ -n "${TM_BENCH_GATEWAY_URL:-}" ]; then TLIST+=(tm-gateway); fi
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
                --publish "$PUBLISH" --run-id "$RUN_ID" --rep "$rep" \
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
