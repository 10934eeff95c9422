#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory, listening
# only on 127.0.0.1, trust authentication, fsync off. Nothing of it survives pg_stop.
#
#   scripts/pg.sh run CMD ARGS...   start a server, run CMD with DATABASE_URL set, stop the server
#
# Sourced by scripts/test.sh for pg_start / pg_stop, which export DATABASE_URL and PG_VERSION.
# Needs Debian's postgresql package (scripts/setup.sh --test installs it).

PG_PORT_FIRST="${YILIAN_PG_PORT:-54329}"
PG_TMP=""
PG_VERSION=""

_pg_bindir() {
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$dir" && -x "$dir/initdb" ]] || return 1
    echo "$dir"
}

_pg_free_port() {
    python3 - "$PG_PORT_FIRST" <<'EOF'
import socket, sys
first = int(sys.argv[1])
for port in range(first, first + 200):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit("no free port")
EOF
}

# initdb refuses to run as root: as root, run the server as the `postgres` OS user (created by
# Debian's postgresql package), falling back to `nobody`.
_pg_as_owner() {
    if ((EUID == 0)); then
        local owner=postgres
        id -u postgres >/dev/null 2>&1 || owner=nobody
        if command -v runuser >/dev/null; then
            runuser -u "$owner" -- "$@"
        elif [[ -x /usr/sbin/runuser ]]; then
            /usr/sbin/runuser -u "$owner" -- "$@"
        else
            su -s /bin/sh -c '"$0" "$@"' "$owner" -- "$@"
        fi
    else
        "$@"
    fi
}

pg_start() {
    local bindir port
    bindir="$(_pg_bindir)" || {
        echo "pg.sh: no PostgreSQL server in /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
        return 1
    }
    port="$(_pg_free_port)" || return 1
    PG_VERSION="$("$bindir/postgres" --version | awk '{print $3}')"
    # /tmp, not $TMPDIR: the postgres user must be able to reach it.
    PG_TMP="$(mktemp -d /tmp/yilian-pg.XXXXXX)"
    if ((EUID == 0)); then
        chown "$(id -u postgres 2>/dev/null || id -u nobody)" "$PG_TMP"
    fi
    if ! _pg_as_owner "$bindir/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --no-locale \
        >"$PG_TMP/initdb.log" 2>&1; then
        cat "$PG_TMP/initdb.log" >&2
        return 1
    fi
    if ! _pg_as_owner "$bindir/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        cat "$PG_TMP/server.log" >&2
        return 1
    fi
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres yilian || return 1
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/yilian"
    export PG_VERSION
    echo "PostgreSQL $PG_VERSION on 127.0.0.1:$port (data in $PG_TMP)"
}

pg_stop() {
    [[ -n "$PG_TMP" && -d "$PG_TMP" ]] || return 0
    local bindir
    bindir="$(_pg_bindir)" &&
        _pg_as_owner "$bindir/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$PG_TMP"
    PG_TMP=""
    unset DATABASE_URL
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    [[ "${1:-}" == run && $# -ge 2 ]] || {
        echo "usage: scripts/pg.sh run CMD [ARGS...]" >&2
        exit 2
    }
    shift
    trap pg_stop EXIT
    trap 'exit 130' INT TERM
    pg_start
    "$@"
fi
