#!/usr/bin/env bash
# make run: MariaDB + RabbitMQ (found, started or installed), then tm-cms, tm-gateway and
# tm-ingest with a development config. Prints the URL; Ctrl-C stops all three cleanly.
# Supervises like the systemd units in deploy/systemd: a service that exits after it came up is
# restarted with backoff (1 s doubling to 30 s; back to 1 s once it stayed up 60 s) and the
# console says so, while the others keep running. Exit status 78 (bad configuration) is not
# restarted, as RestartPreventExitStatus=78 in the units.
#
# Environment (all optional):
#   TM_RUN_HOST      address to listen on            (127.0.0.1)
#   TM_RUN_CMS_PORT  / TM_RUN_GATEWAY_PORT / TM_RUN_INGEST_PORT   (8080 / 8081 / 8082)
#   TM_RUN_DATABASE  database name                   (tm_dev)
#   TM_RUN_PROFILE   cargo profile: dev or release   (dev)
#   TM_RUN_NO_BUILD  set to skip `cargo build` (binaries already built)
#   TM_RUN_BUS_PREFIX  prefix for exchange and queue names ("" ; tests isolate themselves with it)
#   TM_RUN_LOG_DIR   where the services' logs go   (.run/logs)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'make run: %s\n' "$*"; }
host=${TM_RUN_HOST:-127.0.0.1}
cms_port=${TM_RUN_CMS_PORT:-8080}
gateway_port=${TM_RUN_GATEWAY_PORT:-8081}
ingest_port=${TM_RUN_INGEST_PORT:-8082}
database=${TM_RUN_DATABASE:-tm_dev}
profile=${TM_RUN_PROFILE:-dev}
bus_prefix=${TM_RUN_BUS_PREFIX:-}
target_dir=${CARGO_TARGET_DIR:-target}/$([ "$profile" = dev ] && echo debug || echo "$profile")

scripts/dev-services.sh
# shellcheck disable=SC1091
. .run/dev-services.env
db_server=${TM_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306}
amqp_url=${TM_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}

if [ -z "${TM_RUN_NO_BUILD:-}" ]; then
    say "building (cargo build --profile $profile --bins)…"
    cargo build --profile "$profile" --bins -p tm-cms -p tm-gateway -p tm-ingest
fi

# The database itself; tm-cms creates the tables (it migrates on start).
userhost=${db_server#mysql://}; userhost=${userhost%%/*}
user=${userhost%@*}; hostport=${userhost#*@}
dbuser=${user%%:*}; dbpass=; [ "$user" != "$dbuser" ] && dbpass=${user#*:}
mariadb -h "${hostport%:*}" -P "${hostport##*:}" -u "$dbuser" ${dbpass:+-p"$dbpass"} --protocol=TCP \
    -e "CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

log_dir=${TM_RUN_LOG_DIR:-.run/logs}
mkdir -p "$log_dir"
# One development secret for the CMS (signs join tokens) and the gateway (checks them): random
# per checkout. Both also run in development mode (dev_mode = true): in production the public
# default secret is refused, and a development instance is marked as such.
secret_file=.run/join-secret
[ -s "$secret_file" ] || head -c 32 /dev/urandom | base64 | tr -d '\n=' > "$secret_file"
secret=$(cat "$secret_file")
cms_url="http://$host:$cms_port"

# Per service: its command (env assignments, then the binary), current pid, when it last
# started, the delay before its next restart and when that restart is due.
declare -A command pid started backoff restart_at
names=()
sleeper=
stop() {
    trap - INT TERM
    say "stopping…"
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    for name in "${names[@]}"; do [ -n "${pid[$name]}" ] && kill -TERM "${pid[$name]}" 2>/dev/null || true; done
    for name in "${names[@]}"; do [ -n "${pid[$name]}" ] && wait "${pid[$name]}" 2>/dev/null || true; done
    say "stopped"
    exit 0
}
trap stop INT TERM

spawn() { # name: (re)start it from its recorded command
    local name=$1
    # exec, so that the pid is the service's own (a kill -9 of it is a crash of the service).
    (eval "exec env ${command[$name]} \"\$target_dir/\$name\"") >> "$log_dir/$name.log" 2>&1 &
    pid[$name]=$!
    started[$name]=$SECONDS
    say "$name started (pid ${pid[$name]})"
}

start() { # name, then env assignments
    local name=$1; shift
    names+=("$name")
    command[$name]=$(printf '%q ' "$@")
    backoff[$name]=1
    restart_at[$name]=
    : > "$log_dir/$name.log"
    spawn "$name"
}

# Called once a second: restarts what exited, with backoff, and says so.
supervise() {
    local name status
    for name in "${names[@]}"; do
        if [ -n "${restart_at[$name]}" ]; then
            if [ "$SECONDS" -ge "${restart_at[$name]}" ]; then
                restart_at[$name]=
                spawn "$name"
            fi
            continue
        fi
        [ -z "${pid[$name]}" ] && continue
        kill -0 "${pid[$name]}" 2>/dev/null && continue
        status=0; wait "${pid[$name]}" 2>/dev/null || status=$?
        pid[$name]=
        if [ "$status" -eq 78 ]; then
            say "$name exited with status 78 (bad configuration): not restarting it; see $log_dir/$name.log"
            continue
        fi
        # A service that stayed up a minute starts the backoff over.
        [ $((SECONDS - started[$name])) -ge 60 ] && backoff[$name]=1
        say "$name exited (status $status); restarting it in ${backoff[$name]} s (log: $log_dir/$name.log)"
        restart_at[$name]=$((SECONDS + backoff[$name]))
        backoff[$name]=$((backoff[$name] * 2 > 30 ? 30 : backoff[$name] * 2))
    done
}

start tm-cms \
    TM_CMS__HTTP__BIND="$host:$cms_port" TM_CMS__HTTP__PUBLIC_URL="$cms_url" \
    TM_CMS__HTTP__GATEWAY_URL="ws://$host:$gateway_port/ws" \
    TM_CMS__DATABASE__URL="${db_server%/}/$database" TM_CMS__BUS__URL="$amqp_url" TM_CMS__BUS__PREFIX="$bus_prefix" TM_CMS__JOIN__SECRET="$secret" \
    TM_CMS__DEV_MODE=true
start tm-gateway \
    TM_GATEWAY__HTTP__BIND="$host:$gateway_port" TM_GATEWAY__HTTP__ALLOWED_ORIGINS="$cms_url,http://localhost:$cms_port" \
    TM_GATEWAY__BUS__URL="$amqp_url" TM_GATEWAY__BUS__PREFIX="$bus_prefix" TM_GATEWAY__TOKENS__SECRET="$secret" \
    TM_GATEWAY__DEV_MODE=true
start tm-ingest \
    TM_INGEST__HTTP__BIND="$host:$ingest_port" TM_INGEST__BUS__URL="$amqp_url" TM_INGEST__BUS__PREFIX="$bus_prefix"

wait_healthy() { # name, url
    for _ in $(seq 1 600); do
        if curl -fsS -o /dev/null "$2" 2>/dev/null; then return 0; fi
        # Before the URL is printed, a service that cannot come up ends the run with its log.
        for name in "${names[@]}"; do
            if ! kill -0 "${pid[$name]}" 2>/dev/null; then
                say "$name did not start; its log ($log_dir/$name.log) ends with:"
                tail -n 20 "$log_dir/$name.log" >&2
                stop
            fi
        done
        sleep 0.1
    done
    say "$1 is not answering on $2 after 60 s; see $log_dir/$1.log"
    stop
}
wait_healthy tm-cms "$cms_url/healthz"
wait_healthy tm-gateway "http://$host:$gateway_port/healthz"
wait_healthy tm-ingest "http://$host:$ingest_port/healthz"

say "tm is running: open $cms_url"
say "logs: $log_dir/{tm-cms,tm-gateway,tm-ingest}.log · stop with Ctrl-C"
while true; do
    supervise
    sleep 1 &
    sleeper=$!
    wait "$sleeper" || true
done
