#!/usr/bin/env bash
# Checks the crate boundaries of docs/STYLE ("Workspace shape") with `cargo tree`:
#   1. tm-core carries no infrastructure: no diesel*, lapin, actix*, tokio*, reqwest, tungstenite*
#      in its normal (non-dev) dependency tree;
#   2. tm-gateway and tm-ingest know no SQL: no diesel* or mysql* crates in their normal tree;
#   3. all AMQP is in tm-bus: no lapin or amq-protocol* in the normal tree of tm-cms,
#      tm-gateway or tm-ingest with tm-bus pruned (they reach the broker through tm-bus only);
#   4. no service crate (tm-cms, tm-gateway, tm-ingest) depends on another one, and neither does
#      the shared test crate tm-testkit (normal, build and dev dependencies).
# Crate names are matched whole (`tokio-util` is caught by `tokio*`, `my-tokio` is not).
#
# Usage: scripts/check-boundaries.sh              run the checks; exit 1 on a violation
#        scripts/check-boundaries.sh --self-test  prove the checks can fail (matcher cases, and
#                                                 tm-bus, which uses lapin and tokio, must be flagged
#                                                 by the tm-core rule and the AMQP rule)
set -euo pipefail

CARGO=${CARGO:-cargo}
readonly CORE_FORBIDDEN='diesel.*|lapin|actix.*|tokio.*|reqwest|tungstenite.*'
readonly SQL_FORBIDDEN='diesel.*|mysql.*'
readonly AMQP_FORBIDDEN='lapin|amq-protocol(-.*)?'
readonly SERVICES=(tm-cms tm-gateway tm-ingest)
readonly SERVICES_RE='tm-cms|tm-gateway|tm-ingest'

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'check-boundaries: %s\n' "$*"; }

# Reads `cargo tree --prefix depth --format '{p}'` lines ("3tokio-util v0.7.1 (...)") and prints
# the distinct names of dependencies (depth > 0) matching the ERE alternation $1 as a whole name.
matching_crates() {
    awk -v re="^($1)\$" '
        match($0, /^[0-9]+/) {
            depth = substr($0, 1, RLENGTH) + 0
            split(substr($0, RLENGTH + 1), field, " ")
            if (depth > 0 && field[1] ~ re) print field[1]
        }' | sort -u
}

tree() { # package edges [cargo-tree-options...]
    "$CARGO" tree --quiet -p "$1" -e "$2" --prefix depth --format '{p}' "${@:3}"
}

failures=0
# check package edges forbidden-ERE rule-description [cargo-tree-options...]
check() {
    local found
    found=$(tree "$1" "$2" "${@:5}" | matching_crates "$3") || {
        log "FAIL: cargo tree -p $1 failed"
        failures=$((failures + 1))
        return
    }
    if [[ -n $found ]]; then
        log "FAIL: $1 $4, but depends on: $(echo $found)"
        log "      see why with: cargo tree -p $1 -e $2 -i <crate>"
        failures=$((failures + 1))
    else
        log "ok: $1 $4"
    fi
}

run_checks() {
    check tm-core normal "$CORE_FORBIDDEN" "must not use diesel, lapin, actix, tokio, reqwest or tungstenite"
    check tm-gateway normal "$SQL_FORBIDDEN" "must not use diesel or mysql crates"
    check tm-ingest normal "$SQL_FORBIDDEN" "must not use diesel or mysql crates"
    local crate
    for crate in "${SERVICES[@]}"; do
        check "$crate" normal "$AMQP_FORBIDDEN" "must not use lapin or amq-protocol but through tm-bus" \
            --prune tm-bus
    done
    for crate in "${SERVICES[@]}" tm-testkit; do
        check "$crate" normal,build,dev "$SERVICES_RE" "must not depend on a service crate"
    done
    if ((failures)); then
        log "$failures boundary check(s) failed"
        exit 1
    fi
}

self_test() {
    local bad=0 got
    expect() { # description expected actual
        if [[ $2 == "$3" ]]; then
            log "self-test ok: $1"
        else
            log "self-test FAIL: $1: expected [$2], got [$3]"
            bad=1
        fi
    }
    got=$(printf '%s\n' '0tm-core v0.1.0 (/x)' '1serde v1.0.0' '2tokio-util v0.7.0' '1my-tokio v1.0.0' \
        '3tokio v1.0.0 (*)' '1lapinx v1.0.0' '2actix-web v4.0.0' '1reqwest v0.12.0' '1tungstenite v0.2' \
        '1tokio_stream_helper v1' '1diesel-async v0.9.0' | matching_crates "$CORE_FORBIDDEN" | tr '\n' ' ')
    expect "core matcher takes whole crate names" \
        "actix-web diesel-async reqwest tokio tokio-util tokio_stream_helper tungstenite " "$got"
    got=$(printf '%s\n' '0tm-gateway v0.1.0' '1tm-core v0.1.0' '2mysqlclient-sys v0.4' '1mysql_async v0.3' \
        '1diesel v2.3' '1nomysql v1' | matching_crates "$SQL_FORBIDDEN" | tr '\n' ' ')
    expect "sql matcher" "diesel mysql_async mysqlclient-sys " "$got"
    got=$(printf '%s\n' '0tm-cms v0.1.0' '1tm-core v0.1.0' '1tm-gateway v0.1.0' '1tm-cms-helpers v0' \
        | matching_crates "$SERVICES_RE" | tr '\n' ' ')
    expect "service matcher skips the crate itself (depth 0) and near names" "tm-gateway " "$got"
    got=$(tree tm-bus normal | matching_crates "$CORE_FORBIDDEN" | grep -E '^(lapin|tokio)$' | tr '\n' ' ')
    expect "tm-bus (lapin, tokio) would break the tm-core rule" "lapin tokio " "$got"
    got=$(printf '%s\n' '0tm-ingest v0.1.0' '1tm-bus v0.1.0' '2lapin v4.12.3' '3amq-protocol-uri v10' \
        '1amq-protocolx v1' '1mylapin v1' | matching_crates "$AMQP_FORBIDDEN" | tr '\n' ' ')
    expect "amqp matcher" "amq-protocol-uri lapin " "$got"
    # The rule's own tree options: tm-bus, the one crate allowed lapin, is flagged by them.
    got=$(tree tm-bus normal --prune tm-bus | matching_crates "$AMQP_FORBIDDEN" | grep -E '^(lapin|amq-protocol)$' \
        | tr '\n' ' ')
    expect "tm-bus (lapin) would break the service AMQP rule" "amq-protocol lapin " "$got"
    ((bad == 0)) || exit 1
}

case ${1:-} in
    "") run_checks ;;
    --self-test) self_test ;;
    *) echo "usage: $0 [--self-test]" >&2; exit 2 ;;
esac
