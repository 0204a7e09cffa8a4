#!/usr/bin/env bash
# Checks what deploy/ ships:
#   1. `systemd-analyze verify` on every unit in deploy/systemd/ (*.service, *.target): any error
#      OR warning fails the check (verify prints "Unknown key …, ignoring" yet exits 0, so its
#      output counts, not only its status);
#   2. `systemd-analyze security --offline=true` on every *.service: the "Overall exposure level"
#      of each is printed and must be <= 2.0 (MAX_EXPOSURE);
#   3. `nginx -t` on deploy/nginx/tm.conf, if nginx is installed (NGINX_BIN=/path/to/nginx to choose).
#
# verify checks that ExecStart= binaries exist. They are not installed on a build machine, so the
# units are verified inside a throw-away root (`systemd-analyze verify --root=DIR`): DIR gets the
# host's stock units (sysinit.target, network-online.target, …), our units in
# DIR/etc/systemd/system, and an executable stub at every Exec*= path the units name. The unit
# files themselves are used unchanged.
#
# Without systemd-analyze (a dev machine without systemd) the systemd checks are skipped with a
# warning and the script exits 0, unless CI is set (to anything but "", 0 or false): then it fails.
#
# Usage: scripts/check-deploy.sh              run the checks; exit 1 if one fails
#        scripts/check-deploy.sh --self-test  prove the checks can fail (a weakened unit must score
#                                             above the limit, a misspelt key must fail verify)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly UNIT_DIR=deploy/systemd
readonly NGINX_SITE=deploy/nginx/tm.conf
readonly MAX_EXPOSURE=2.0
SYSTEMD_ANALYZE=${SYSTEMD_ANALYZE:-systemd-analyze}
NGINX_BIN=${NGINX_BIN:-nginx}
SKIPPED=""

log() { printf 'check-deploy: %s\n' "$*"; }
warn() { printf 'check-deploy: WARNING: %s\n' "$*" >&2; }
fail() { printf 'check-deploy: FAIL: %s\n' "$*" >&2; }

ci_is_set() {
    case "${CI:-}" in
        "" | 0 | false | FALSE | False) return 1 ;;
        *) return 0 ;;
    esac
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

# --- systemd ---------------------------------------------------------------------------------

# Prints the absolute program paths of every Exec*= line in the given unit files, once each.
# Handles the optional prefixes systemd allows before the path (- @ : + !).
exec_paths() {
    sed -n -E 's/^[[:space:]]*Exec[A-Za-z]*=[[:space:]]*[-@:+!]*(\/[^[:space:]]+).*/\1/p' "$@" | sort -u
}

# make_root DIR UNIT_FILE...: a root for `systemd-analyze verify --root=DIR`.
make_root() {
    local root=$1
    shift
    mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
    # The host's stock units, so that default dependencies (sysinit.target, …) resolve. /lib is
    # /usr/lib on merged-/usr systems; copy it too where it is a separate directory.
    if [[ -d /usr/lib/systemd/system ]]; then
        cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
    fi
    if [[ -d /lib/systemd/system && ! /lib/systemd/system -ef /usr/lib/systemd/system ]]; then
        mkdir -p "$root/lib/systemd"
        cp -a /lib/systemd/system "$root/lib/systemd/"
    fi
    cp -- "$@" "$root/etc/systemd/system/"
    local path
    while IFS= read -r path; do
        mkdir -p "$root$(dirname "$path")"
        printf '#!/bin/sh\n# stub for systemd-analyze verify\nexit 0\n' >"$root$path"
        chmod 0755 "$root$path"
    done < <(exec_paths "$@")
}

# verify_units UNIT_FILE...: 0 when every unit verifies without a message.
verify_units() {
    local root="$WORK/root.$RANDOM" status=0 unit out
    make_root "$root" "$@"
    for unit in "$@"; do
        # --recursive-errors=no: report only our unit, not the host's units it pulls in.
        if out=$("$SYSTEMD_ANALYZE" verify --root="$root" --man=no --recursive-errors=no \
            "$(basename "$unit")" 2>&1) && [[ -z $out ]]; then
            log "verify   $(basename "$unit"): ok"
        else
            fail "verify   $(basename "$unit"):"
            printf '    %s\n' "${out:-(no output, non-zero exit)}" >&2
            status=1
        fi
    done
    rm -rf -- "$root"
    return "$status"
}

# score_units SERVICE_FILE...: prints each exposure; 0 when each is <= MAX_EXPOSURE.
score_units() {
    local status=0 unit out score threshold
    # --threshold takes the exposure in tenths (2.0 -> 20).
    threshold=$(awk -v m="$MAX_EXPOSURE" 'BEGIN { printf "%d", m * 10 + 0.5 }')
    for unit in "$@"; do
        out=$("$SYSTEMD_ANALYZE" security --offline=true --threshold="$threshold" "$unit" 2>&1) ||
            status=1
        score=$(sed -n -E 's/.*Overall exposure level for [^:]*: ([0-9]+(\.[0-9]+)?).*/\1/p' <<<"$out")
        if [[ -z $score ]]; then
            fail "security $(basename "$unit"): no \"Overall exposure level\" line in the output:"
            printf '    %s\n' "$out" >&2
            status=1
        elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
            log "security $(basename "$unit"): exposure $score (limit $MAX_EXPOSURE)"
        else
            fail "security $(basename "$unit"): exposure $score is above $MAX_EXPOSURE"
            grep -F '✗' <<<"$out" | sed 's/^/    /' >&2 || true
            status=1
        fi
    done
    return "$status"
}

check_systemd() {
    if ! command -v "$SYSTEMD_ANALYZE" >/dev/null 2>&1; then
        if ci_is_set; then
            fail "systemd-analyze not found, and CI is set: the units cannot be checked"
            return 1
        fi
        warn "systemd-analyze not found (no systemd here?): units NOT verified and NOT scored"
        warn "set CI=1 to make this an error"
        SKIPPED="systemd units not checked"
        return 0
    fi
    log "$("$SYSTEMD_ANALYZE" --version | head -n 1)"
    local units=() services=() status=0
    shopt -s nullglob
    units=("$UNIT_DIR"/*.service "$UNIT_DIR"/*.target)
    services=("$UNIT_DIR"/*.service)
    shopt -u nullglob
    if ((${#services[@]} == 0)); then
        fail "no units in $UNIT_DIR"
        return 1
    fi
    verify_units "${units[@]}" || status=1
    # A target runs no process: there is nothing to sandbox, and systemd-analyze would score it
    # as if it were a bare service.
    score_units "${services[@]}" || status=1
    return "$status"
}

# --- nginx -----------------------------------------------------------------------------------

check_nginx() {
    if ! command -v "$NGINX_BIN" >/dev/null 2>&1; then
        log "nginx not installed: $NGINX_SITE not checked (set NGINX_BIN=/path/to/nginx to check it)"
        return 0
    fi
    local dir="$WORK/nginx"
    mkdir -p "$dir/logs" "$dir/tmp"
    # On a copy of the site: the placeholder certificate paths point at a throw-away self-signed
    # pair (nginx -t opens them), and the cache directory at a temporary one (nginx -t creates it).
    sed -E -e "s#^([[:space:]]*ssl_certificate)[[:space:]]+[^;]+;#\1 $dir/cert.pem;#" \
        -e "s#^([[:space:]]*ssl_certificate_key)[[:space:]]+[^;]+;#\1 $dir/key.pem;#" \
        -e "s#^([[:space:]]*proxy_cache_path)[[:space:]]+[^[:space:];]+#\1 $dir/cache#" \
        "$NGINX_SITE" >"$dir/tm.conf"
    if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1; then
        fail "openssl could not make a test certificate for nginx -t"
        return 1
    fi
    local mime=""
    [[ -f /etc/nginx/mime.types ]] && mime="include /etc/nginx/mime.types;"
    cat >"$dir/nginx.conf" <<EOF
pid $dir/nginx.pid;
error_log stderr;
events {}
http {
    $mime
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/tm.conf;
}
EOF
    local out
    # (NGINX in the environment means "inherited sockets" to nginx: never pass it on.)
    if out=$(env -u NGINX "$NGINX_BIN" -t -e stderr -p "$dir" -c "$dir/nginx.conf" 2>&1); then
        log "nginx -t $NGINX_SITE: ok"
    elif grep -q 'syntax is ok' <<<"$out" &&
        ! grep -F '[emerg]' <<<"$out" | grep -v -q -E 'bind\(\) to .* failed \((13|97):'; then
        # nginx -t also binds the listen sockets: as non-root port 80/443 is refused (13), and a
        # host without IPv6 refuses [::] (97). The configuration itself parsed.
        log "nginx -t $NGINX_SITE: syntax ok (listen sockets not bindable here:" \
            "$(grep -c -F '[emerg]' <<<"$out") refused; run as root to test them too)"
    else
        fail "nginx -t $NGINX_SITE:"
        printf '    %s\n' "$out" >&2
        return 1
    fi
}

# --- self-test -------------------------------------------------------------------------------

# The checks must be able to fail: a unit without its sandbox must score above the limit, and a
# misspelt key must fail verify even though systemd-analyze exits 0 for it.
self_test() {
    if ! command -v "$SYSTEMD_ANALYZE" >/dev/null 2>&1; then
        warn "systemd-analyze not found: self-test skipped"
        ci_is_set && return 1
        return 0
    fi
    local dir="$WORK/self-test" ok=1
    mkdir -p "$dir"
    # Weakened: everything after the first sandbox setting removed.
    sed -n '1,/^DynamicUser=/p' "$UNIT_DIR/tm-gateway.service" | grep -v '^DynamicUser=' \
        >"$dir/tm-weak.service"
    printf '[Install]\nWantedBy=multi-user.target\n' >>"$dir/tm-weak.service"
    if score_units "$dir/tm-weak.service" >/dev/null 2>&1; then
        fail "self-test: a unit without its sandbox passed the exposure check"
        ok=0
    fi
    sed 's/^ProtectSystem=strict/ProtectSystem=strict\nProtectSytem=strict/' \
        "$UNIT_DIR/tm-gateway.service" >"$dir/tm-typo.service"
    if verify_units "$dir/tm-typo.service" >/dev/null 2>&1; then
        fail "self-test: a misspelt key passed verify"
        ok=0
    fi
    cp "$UNIT_DIR/tm-gateway.service" "$dir/tm-good.service"
    if ! verify_units "$dir/tm-good.service" >/dev/null 2>&1 ||
        ! score_units "$dir/tm-good.service" >/dev/null 2>&1; then
        fail "self-test: an unchanged copy of tm-gateway.service failed"
        ok=0
    fi
    ((ok)) && log "self-test: ok (weakened unit rejected, misspelt key rejected, good unit passes)"
    ((ok))
}

main() {
    if [[ ${1:-} == --self-test ]]; then
        self_test
        return
    fi
    local status=0
    check_systemd || status=1
    check_nginx || status=1
    if ((status)); then
        fail "deploy checks failed"
    elif [[ -n $SKIPPED ]]; then
        warn "passed, but INCOMPLETE: $SKIPPED"
    else
        log "all deploy checks passed"
    fi
    return "$status"
}

main "$@"
