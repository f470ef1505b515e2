#!/usr/bin/env bash
# Keydesk's own PostgreSQL 15 cluster for tests (not the Debian "main" cluster).
#   scripts/postgres.sh start|stop|status
# Listens on 127.0.0.1:${KEYDESK_PG_PORT:-5433} only (TCP: trust for 127.0.0.1/32, nothing
# else), socket in $RUN_DIR/pg-sock. Creates role keydesk (LOGIN CREATEDB, for pytest-django's
# test_* databases) and database keydesk. Data persists across stop/start.
# As root the cluster runs as the `postgres` OS user (initdb refuses root); otherwise as you.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_PORT="${KEYDESK_PG_PORT:-5433}"
PG_BIN="${KEYDESK_PG_BIN:-/usr/lib/postgresql/15/bin}"
DB_NAME=keydesk
DB_ROLE=keydesk

if [[ "$(id -u)" -eq 0 ]]; then
    PG_OS_USER=postgres
else
    PG_OS_USER="$(id -un)"
fi

as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

# Data lives in $RUN_DIR/pg unless the postgres user cannot reach $RUN_DIR (e.g. the repo is
# under /root); then it goes to /tmp/keydesk-pg-<hash of $RUN_DIR>/.
choose_dirs() {
    mkdir -p "$RUN_DIR"
    if [[ "$(id -u)" -eq 0 ]]; then
        chmod o+x "$RUN_DIR" 2>/dev/null || true
    fi
    if as_pg test -x "$RUN_DIR" 2>/dev/null; then
        PG_BASE="$RUN_DIR"
    else
        PG_BASE="/tmp/keydesk-pg-$(printf %s "$RUN_DIR" | sha256sum | cut -c1-12)"
        mkdir -p "$PG_BASE"
        chmod 755 "$PG_BASE"
        [[ "$(id -u)" -ne 0 ]] || chown "$PG_OS_USER" "$PG_BASE"
        log "$PG_OS_USER cannot traverse to $RUN_DIR; using $PG_BASE"
    fi
    PGDATA="$PG_BASE/pg"
    PG_SOCK="$PG_BASE/pg-sock"
    PG_LOG="$PG_BASE/pg.log"
}

psql_admin() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U "$PG_OS_USER" \
        -d postgres "$@"
}

is_running() { as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }

init_cluster() {
    log "initialising a new cluster in $PGDATA"
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    [[ "$(id -u)" -ne 0 ]] || chown "$PG_OS_USER:" "$PGDATA"
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_OS_USER" -E UTF8 --no-locale \
        --auth-local=peer --auth-host=reject >"$PG_BASE/initdb.log" 2>&1 \
        || { cat "$PG_BASE/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'keydesk.conf'" | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
}

write_config() {
    as_pg tee "$PGDATA/keydesk.conf" >/dev/null <<CONF
# Written by scripts/postgres.sh on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 100
log_destination = 'stderr'
logging_collector = off
CONF
    as_pg tee "$PGDATA/pg_hba.conf" >/dev/null <<HBA
# Written by scripts/postgres.sh. TEST ONLY: trust on loopback, nothing else — except the
# accounts OpenBao's database engine manages, whose passwords must really be checked.
# TYPE  DATABASE  USER              ADDRESS        METHOD
local   all       $PG_OS_USER                     peer
host    all       vault_admin       127.0.0.1/32   scram-sha-256
host    all       +keydesk_devices  127.0.0.1/32   scram-sha-256
host    all       all               127.0.0.1/32   trust
HBA
}

start() {
    ensure_apt_packages postgresql
    [[ -x "$PG_BIN/pg_ctl" ]] || die "PostgreSQL binaries not found in $PG_BIN (set KEYDESK_PG_BIN)"
    choose_dirs
    if is_running; then
        log "PostgreSQL already running ($PGDATA) on 127.0.0.1:$PG_PORT"
    else
        if port_in_use 127.0.0.1 "$PG_PORT"; then
            die "port $PG_PORT is already in use by another process (set KEYDESK_PG_PORT)"
        fi
        [[ -f "$PGDATA/PG_VERSION" ]] || init_cluster
        mkdir -p "$PG_SOCK"
        chmod 755 "$PG_SOCK"
        [[ "$(id -u)" -ne 0 ]] || chown "$PG_OS_USER:" "$PG_SOCK"
        write_config
        [[ "$(id -u)" -ne 0 ]] || { touch "$PG_LOG"; chown "$PG_OS_USER:" "$PG_LOG"; }
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data $PGDATA)"
        as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA" -l "$PG_LOG" -w -t 60 -s \
            || { tail -n 30 "$PG_LOG" >&2 || true; die "PostgreSQL did not start; see $PG_LOG"; }
    fi
    if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE'")" != 1 ]]; then
        psql_admin -c "CREATE ROLE $DB_ROLE LOGIN CREATEDB"
        log "created role $DB_ROLE"
    else
        psql_admin -c "ALTER ROLE $DB_ROLE LOGIN CREATEDB"
    fi
    # For OpenBao's database secrets engine (test only): an admin that may change passwords, and
    # one device service account whose password it rotates (static role).
    psql_admin <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keydesk_devices') THEN
        CREATE ROLE keydesk_devices NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vault_admin') THEN
        CREATE ROLE vault_admin LOGIN CREATEROLE PASSWORD 'vault-admin-pass';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'device_db_demo') THEN
        CREATE ROLE device_db_demo LOGIN PASSWORD 'device-initial-pass' IN ROLE keydesk_devices;
    END IF;
END
$$;
SQL
    if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
        psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_ROLE"
        log "created database $DB_NAME"
    fi
    log "PostgreSQL ready: postgres://$DB_ROLE@127.0.0.1:$PG_PORT/$DB_NAME"
}

stop() {
    choose_dirs
    if ! is_running; then
        log "PostgreSQL is not running"
        return 0
    fi
    log "stopping PostgreSQL ($PGDATA)"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 -s
}

status() {
    choose_dirs
    if is_running; then
        echo "PostgreSQL running on 127.0.0.1:$PG_PORT (data $PGDATA)"
    else
        echo "PostgreSQL not running (data $PGDATA)"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    restart) stop; start ;;
    *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac
