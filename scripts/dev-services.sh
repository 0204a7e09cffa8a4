#!/usr/bin/env bash
# Makes sure the services tm's tests and `make run` need are reachable:
#   MariaDB  on 127.0.0.1:3306   RabbitMQ on 127.0.0.1:5672   (+ chromium/chromedriver/npm with --with-browser)
#
# For each service: if the port answers, use it (never start a second server);
# else if it is installed, start it and wait (60 s MariaDB, 120 s RabbitMQ);
# else if we are root and have apt-get, install it (one `apt-get update`), then start it;
# else stop and say what to install.
# Then find a MariaDB account tests can use over TCP and write the URLs to .run/dev-services.env.
#
# Idempotent: running it again changes nothing. See docs/development.md.
#
# Options:   --with-browser   also ensure `chromium`, `chromedriver` and `npm` (Debian: chromium, chromium-driver, npm)
#            -h, --help
# Env:       TM_TEST_DATABASE_URL   use this MariaDB instead of finding one (checked, never started)
#            TM_TEST_AMQP_URL       use this RabbitMQ instead of 127.0.0.1:5672 (checked, never started)
#            DEV_SERVICES_ENV_FILE  where to write the URLs (default: <repo>/.run/dev-services.env)
#            DEV_SERVICES_DRY_RUN=1 print what would be changed (start, install, CREATE USER) instead of doing it
#            DEV_SERVICES_PRETEND   (dry run only, for testing this script) comma list of:
#                                   mariadb-down, rabbitmq-down, not-installed, not-root, no-apt,
#                                   no-browser, no-chromium (npm present), root-tcp-denied
set -euo pipefail

readonly MARIADB_WAIT_SECS=60
readonly RABBITMQ_WAIT_SECS=120
readonly TM_USER_URL="mysql://tm:tm@127.0.0.1:3306"
readonly ROOT_URL="mysql://root@127.0.0.1:3306"
readonly DEFAULT_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/%2f"

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
env_file=${DEV_SERVICES_ENV_FILE:-$repo_root/.run/dev-services.env}
dry_run=${DEV_SERVICES_DRY_RUN:-}
[[ $dry_run == 0 ]] && dry_run=
pretend=${DEV_SERVICES_PRETEND:-}
with_browser=
apt_updated=

log() { printf 'dev-services: %s\n' "$*"; }
die() {
    printf 'dev-services: ERROR: %s\n' "$1" >&2
    shift
    local line
    for line in "$@"; do printf 'dev-services:   %s\n' "$line" >&2; done
    exit 1
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while (($#)); do
    case $1 in
        --with-browser) with_browser=1 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument: $1" "run: $0 --help" ;;
    esac
    shift
done

if [[ -n $pretend && -z $dry_run ]]; then
    die "DEV_SERVICES_PRETEND is only honoured with DEV_SERVICES_DRY_RUN=1 (it exists to test this script)"
fi
pretending() { [[ ,$pretend, == *,$1,* ]]; }

# The Debian packages put the servers in /usr/sbin, which a normal user's PATH often lacks.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# Runs a command that changes the machine, or only prints it in a dry run.
change() {
    if [[ -n $dry_run ]]; then
        log "dry run, would run: $*"
    else
        log "running: $*"
        "$@"
    fi
}

is_root() { ! pretending not-root && [[ $(id -u) == 0 ]]; }
have() { ! pretending not-installed && command -v "$1" >/dev/null 2>&1; }
have_apt() { ! pretending no-apt && command -v apt-get >/dev/null 2>&1; }
systemd_is_pid1() { [[ $(cat /proc/1/comm 2>/dev/null) == systemd ]]; }

tcp_answers() { # host port
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# Waits until "$@" succeeds or `secs` pass.
wait_for() { # secs what command...
    local secs=$1 what=$2
    shift 2
    if [[ -n $dry_run ]]; then
        log "dry run, would wait up to ${secs}s for $what"
        return 0
    fi
    local deadline=$((SECONDS + secs))
    log "waiting up to ${secs}s for $what"
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
    log "$what answers after $((secs - (deadline - SECONDS)))s"
}

apt_install() { # packages...
    if [[ -z $apt_updated ]]; then
        change apt-get -q update
        apt_updated=1
    fi
    change env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "$@"
}

# Stops with what to install, on a machine where this script cannot install it.
explain_install() { # what packages...
    local what=$1
    shift
    if have_apt; then
        die "$what is not running on 127.0.0.1 and is not installed; installing it needs root." \
            "Run: sudo apt-get install $*   (or: sudo $0, which installs and starts it), then run this again." \
            "Or point TM_TEST_DATABASE_URL / TM_TEST_AMQP_URL at servers you already have (docs/development.md)."
    fi
    die "$what is not running on 127.0.0.1 and is not installed, and there is no apt-get to install it." \
        "Install $what (Debian package names: $*) with your system's package manager, start it on" \
        "127.0.0.1, and run this again; or point TM_TEST_DATABASE_URL / TM_TEST_AMQP_URL at servers you have."
}

# ---------------------------------------------------------------- MariaDB

mariadb_client() {
    if command -v mariadb >/dev/null 2>&1; then echo mariadb; elif command -v mysql >/dev/null 2>&1; then echo mysql; fi
}

# Something answering on the port decides: never start a second server there. (`mariadb-admin ping`
# is no help: it fails with "Host '127.0.0.1' is not allowed to connect" on a running server.)
mariadb_answers() {
    pretending mariadb-down && return 1
    tcp_answers 127.0.0.1 3306
}

start_mariadb() {
    if systemd_is_pid1; then
        change systemctl start mariadb
    elif command -v start-stop-daemon >/dev/null 2>&1; then
        # The socket/pid directory lives on /run, which containers start empty.
        change install -d -o mysql -g mysql -m 0755 /run/mysqld
        change start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    else
        die "MariaDB is installed but stopped, and there is neither systemd nor start-stop-daemon to start it." \
            "Start it yourself (e.g. mysqld_safe &) and run this script again."
    fi
    wait_for "$MARIADB_WAIT_SECS" "MariaDB on 127.0.0.1:3306" mariadb_answers ||
        die "MariaDB did not answer on 127.0.0.1:3306 within ${MARIADB_WAIT_SECS}s." \
            "Look at its log (/var/log/mysql/error.log, or journalctl -u mariadb)."
}

ensure_mariadb() {
    if mariadb_answers; then
        log "MariaDB: already running on 127.0.0.1:3306, using it"
        return
    fi
    if ! have mariadbd; then
        if is_root && have_apt; then
            log "MariaDB: not installed, installing mariadb-server with apt-get"
            apt_install mariadb-server mariadb-client
            # The package may have started it already (invoke-rc.d); never start a second one.
            if [[ -z $dry_run ]] && mariadb_answers; then
                log "MariaDB: running after install"
                return
            fi
        else
            explain_install MariaDB mariadb-server mariadb-client
        fi
    fi
    if ! is_root; then
        die "MariaDB is installed but not running, and starting it needs root." \
            "Run: sudo $0    (or: sudo systemctl start mariadb / sudo service mariadb start)"
    fi
    log "MariaDB: installed but not running, starting it"
    start_mariadb
}

# Splits mysql://user[:password]@host[:port][/db] into the globals url_user url_pass url_host url_port.
parse_db_url() {
    local re='^mysql://([^:@/]+)(:([^@/]*))?@([^:/]+)(:([0-9]+))?(/.*)?$'
    [[ $1 =~ $re ]] || return 1
    url_user=${BASH_REMATCH[1]} url_pass=${BASH_REMATCH[3]} url_host=${BASH_REMATCH[4]} url_port=${BASH_REMATCH[6]:-3306}
}

db_url_works() {
    local client url_user url_pass url_host url_port
    client=$(mariadb_client)
    parse_db_url "$1" || return 1
    [[ -n $client ]] || return 1
    MYSQL_PWD=$url_pass "$client" --protocol=tcp -h"$url_host" -P"$url_port" -u"$url_user" \
        --connect-timeout=5 -e 'SELECT 1' >/dev/null 2>&1
}

readonly TM_USER_SQL="CREATE USER IF NOT EXISTS 'tm'@'127.0.0.1' IDENTIFIED BY 'tm';
CREATE USER IF NOT EXISTS 'tm'@'localhost' IDENTIFIED BY 'tm';
GRANT ALL PRIVILEGES ON \`tm%\`.* TO 'tm'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`tm%\`.* TO 'tm'@'localhost';"

# Sets database_url to an account the tests can use over TCP.
choose_database_url() {
    if [[ -n ${TM_TEST_DATABASE_URL:-} ]]; then
        parse_db_url "$TM_TEST_DATABASE_URL" ||
            die "TM_TEST_DATABASE_URL is not of the form mysql://user[:password]@host[:port]: $TM_TEST_DATABASE_URL"
        tcp_answers "$url_host" "$url_port" || die "nothing answers at TM_TEST_DATABASE_URL ($url_host:$url_port)." \
            "Start that server, or unset TM_TEST_DATABASE_URL to let this script use the local MariaDB."
        if [[ -n $(mariadb_client) ]] && ! db_url_works "$TM_TEST_DATABASE_URL"; then
            die "cannot connect with TM_TEST_DATABASE_URL ($TM_TEST_DATABASE_URL)." \
                "Fix the URL, or unset it to let this script use the local MariaDB."
        fi
        database_url=$TM_TEST_DATABASE_URL
        log "MariaDB: using TM_TEST_DATABASE_URL from the environment"
        return
    fi
    if [[ -z $(mariadb_client) ]]; then
        database_url=$ROOT_URL
        log "MariaDB: no mariadb client installed, cannot check the account; assuming $ROOT_URL (apt-get install mariadb-client to check)"
        return
    fi
    if ! pretending root-tcp-denied && db_url_works "$ROOT_URL"; then
        database_url=$ROOT_URL
        return
    fi
    if ! pretending root-tcp-denied && db_url_works "$TM_USER_URL"; then
        database_url=$TM_USER_URL
        return
    fi
    # Fresh Debian: root authenticates by unix_socket only, so it cannot log in over TCP.
    # Create a `tm` account for the tests, with rights on the tm* databases only.
    if is_root && "$(mariadb_client)" --protocol=socket -uroot -e 'SELECT 1' >/dev/null 2>&1; then
        log "MariaDB: root cannot log in over TCP without a password (unix_socket auth); creating user tm for the tests"
        if [[ -n $dry_run ]]; then
            log "dry run, would run as MariaDB root: ${TM_USER_SQL//$'\n'/ }"
        else
            "$(mariadb_client)" --protocol=socket -uroot <<<"$TM_USER_SQL"
        fi
        if [[ -n $dry_run ]] || db_url_works "$TM_USER_URL"; then
            database_url=$TM_USER_URL
            return
        fi
    fi
    die "no MariaDB account works for the tests: neither $ROOT_URL nor $TM_USER_URL can log in over TCP." \
        "Create the tm account as a MariaDB administrator, e.g.:" \
        "  sudo mariadb -e \"$(printf '%s' "${TM_USER_SQL//$'\n'/ }" | sed 's/`/\\`/g')\"" \
        "or set TM_TEST_DATABASE_URL=mysql://user:password@127.0.0.1:3306 to an account that may create tm_* databases."
}

# ---------------------------------------------------------------- RabbitMQ

rabbitmq_port_answers() {
    pretending rabbitmq-down && return 1
    tcp_answers 127.0.0.1 5672
}

rabbitmq_answers() {
    rabbitmq_port_answers || return 1
    # The CLI tools only work for root and the rabbitmq user (they need the Erlang cookie).
    if is_root && command -v rabbitmq-diagnostics >/dev/null 2>&1; then
        timeout 30 rabbitmq-diagnostics -q check_running >/dev/null 2>&1
    fi
}

start_rabbitmq() {
    if systemd_is_pid1; then
        change systemctl start rabbitmq-server
    else
        change rabbitmq-server -detached
    fi
    wait_for "$RABBITMQ_WAIT_SECS" "RabbitMQ on 127.0.0.1:5672" rabbitmq_answers ||
        die "RabbitMQ did not answer on 127.0.0.1:5672 within ${RABBITMQ_WAIT_SECS}s." \
            "Look at its logs in /var/log/rabbitmq/ (or journalctl -u rabbitmq-server)."
}

ensure_rabbitmq() {
    if [[ -n ${TM_TEST_AMQP_URL:-} ]]; then
        local re='^amqps?://([^@/]*@)?([^:/]+)(:([0-9]+))?'
        [[ $TM_TEST_AMQP_URL =~ $re ]] || die "TM_TEST_AMQP_URL is not an amqp:// URL: $TM_TEST_AMQP_URL"
        local host=${BASH_REMATCH[2]} port=${BASH_REMATCH[4]:-5672}
        tcp_answers "$host" "$port" || die "nothing answers at TM_TEST_AMQP_URL ($host:$port)." \
            "Start that server, or unset TM_TEST_AMQP_URL to let this script use the local RabbitMQ."
        amqp_url=$TM_TEST_AMQP_URL
        log "RabbitMQ: using TM_TEST_AMQP_URL from the environment ($host:$port answers)"
        return
    fi
    amqp_url=$DEFAULT_AMQP_URL
    use_running_rabbitmq && return
    if ! have rabbitmq-server; then
        if is_root && have_apt; then
            log "RabbitMQ: not installed, installing rabbitmq-server with apt-get"
            apt_install rabbitmq-server
            # The package may have started it already (invoke-rc.d); never start a second one.
            [[ -z $dry_run ]] && use_running_rabbitmq && return
        else
            explain_install RabbitMQ rabbitmq-server
        fi
    fi
    if ! is_root; then
        die "RabbitMQ is installed but not running, and starting it needs root (or the rabbitmq user)." \
            "Run: sudo $0    (or: sudo systemctl start rabbitmq-server / sudo rabbitmq-server -detached)"
    fi
    log "RabbitMQ: installed but not running, starting it"
    start_rabbitmq
}

# If something answers on 5672, waits until it is ready and uses it (never a second node there).
use_running_rabbitmq() {
    rabbitmq_port_answers || return 1
    if ! rabbitmq_answers; then
        log "RabbitMQ: 127.0.0.1:5672 answers but check_running does not (still booting?)"
        wait_for "$RABBITMQ_WAIT_SECS" "RabbitMQ to finish booting" rabbitmq_answers ||
            die "something answers on 127.0.0.1:5672, but rabbitmq-diagnostics check_running fails." \
                "Look at: rabbitmq-diagnostics status, and the logs in /var/log/rabbitmq/."
    fi
    log "RabbitMQ: already running on 127.0.0.1:5672, using it"
}

# ---------------------------------------------------------------- browser (optional)

ensure_browser() {
    # npm installs axe-core, the accessibility checker the browser tests inject (Makefile: axe-core).
    # Only what is missing is installed: Debian's npm conflicts with a Node.js from elsewhere
    # (NodeSource's nodejs brings its own npm), so asking for it when `npm` exists breaks apt.
    local missing=()
    if pretending no-browser; then
        missing=(chromium chromium-driver npm)
    elif pretending no-chromium; then
        missing=(chromium chromium-driver)
    else
        command -v chromium >/dev/null 2>&1 || missing+=(chromium)
        command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
        command -v npm >/dev/null 2>&1 || missing+=(npm)
    fi
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "browser: chromium, chromedriver and npm are installed"
        return
    fi
    if is_root && have_apt; then
        log "browser: installing ${missing[*]} with apt-get"
        apt_install "${missing[@]}"
    else
        die "browser tests need chromium, chromedriver and npm; missing: ${missing[*]}." \
            "On Debian: sudo apt-get install ${missing[*]}"
    fi
}

# ---------------------------------------------------------------- main

sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # POSIX-sh single quoting (the Makefile sources the file with sh)

[[ -n $dry_run ]] && log "dry run: nothing will be started, installed or written${pretend:+ (pretending: $pretend)}"
if [[ -z ${TM_TEST_DATABASE_URL:-} ]]; then
    ensure_mariadb
fi
choose_database_url
ensure_rabbitmq
[[ -n $with_browser ]] && ensure_browser

if [[ -n $dry_run ]]; then
    log "dry run, would write $env_file"
else
    mkdir -p "$(dirname "$env_file")"
    {
        echo "# Written by scripts/dev-services.sh: the servers it found. Source it: . $env_file"
        echo "export TM_TEST_DATABASE_URL=$(sh_quote "$database_url")"
        echo "export TM_TEST_AMQP_URL=$(sh_quote "$amqp_url")"
    } >"$env_file"
fi
log "ready: TM_TEST_DATABASE_URL=$database_url"
log "ready: TM_TEST_AMQP_URL=$amqp_url"
