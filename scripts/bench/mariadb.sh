# Sourced by the tm-cms cost scripts (cms-*-cost.sh): `sql "STATEMENT"` runs one statement on
# the MariaDB server that $SERVER names (mysql://user[:password]@host:port), tab-separated
# without headers, bounded to 30 s.
# shellcheck shell=bash
sql() {
    local userhost user hostport dbuser dbpass
    userhost=${SERVER#mysql://}; userhost=${userhost%%/*}
    user=${userhost%@*}; hostport=${userhost#*@}
    dbuser=${user%%:*}; dbpass=; [ "$user" != "$dbuser" ] && dbpass=${user#*:}
    timeout 30 mariadb -h "${hostport%:*}" -P "${hostport##*:}" -u "$dbuser" ${dbpass:+-p"$dbpass"} \
        --protocol=TCP -N -B -e "$1"
}
