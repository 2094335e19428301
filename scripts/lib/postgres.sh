# Throwaway PostgreSQL clusters for scripts/test and scripts/demo. Source this file, then call
# pg_throwaway_start NAME. It creates a cluster in a temporary folder with its own port and socket
# directory, trust authentication on loopback only, starts it, exports PGHOST/PGPORT/PGUSER/PGDATABASE
# and arranges for the cluster to be stopped and deleted when the script exits (also on failure or
# Ctrl-C). Run as root, the server runs as the `postgres` user (initdb refuses root).

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        echo "找不到 PostgreSQL 服务端程序 (initdb)；请先运行 scripts/bootstrap [PG_NOT_INSTALLED]" >&2
        return 1
    fi
    echo "$dir"
}

# Runs a command as the cluster's owner.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "找不到空闲端口 [NO_FREE_PORT]" >&2
    return 1
}

PG_THROWAWAY_DIRS=()

pg_throwaway_cleanup() {
    local bindir dir
    bindir=$(pg_bindir 2>/dev/null) || return 0
    for dir in "${PG_THROWAWAY_DIRS[@]}"; do
        if [ -f "$dir/data/postmaster.pid" ]; then
            pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$dir"
    done
    PG_THROWAWAY_DIRS=()
}

# pg_throwaway_start NAME — starts a cluster; sets PG_THROWAWAY_DIR and exports the PG* variables.
pg_throwaway_start() {
    local name=$1 bindir dir port
    bindir=$(pg_bindir) || return 1
    dir=$(mktemp -d "/tmp/concord-pg-$name.XXXXXX")
    PG_THROWAWAY_DIRS+=("$dir")
    trap pg_throwaway_cleanup EXIT
    trap 'pg_throwaway_cleanup; exit 130' INT
    trap 'pg_throwaway_cleanup; exit 143' TERM
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    port=$(pg_free_port) || return 1
    pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        echo "initdb 失败 [PG_INITDB_FAILED]:" >&2; cat "$dir/initdb.log" >&2; return 1; }
    # Loopback only. One role needs a password, so tests can check a wrong password is refused.
    cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host  all concord_pw 127.0.0.1/32 scram-sha-256
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
HBA
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
CONF
    pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
        echo "PostgreSQL 启动失败 [PG_START_FAILED]:" >&2; cat "$dir/server.log" >&2; return 1; }
    PG_THROWAWAY_DIR=$dir
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
    unset PGPASSWORD CONCORD_DATABASE_URL
    psql -qX -v ON_ERROR_STOP=1 -c "CREATE ROLE concord_pw LOGIN PASSWORD 'concord-test-only'" >/dev/null
}
