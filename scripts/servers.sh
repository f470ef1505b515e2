#!/usr/bin/env bash
# Start, stop or describe Keydesk's real test/demo servers: slapd, OpenBao dev, PostgreSQL.
#   scripts/servers.sh start|stop|status|env [ldap] [bao] [pg]     (default: all three)
#   eval "$(scripts/servers.sh env)"    # export the settings the app and the tests read
# `env` prints export lines for each chosen server that is running (and warns on stderr
# about chosen servers that are not).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="$REPO/scripts"
LDAP_PORT="${KEYDESK_LDAP_PORT:-3389}"
BAO_PORT="${KEYDESK_BAO_PORT:-8201}"
PG_PORT="${KEYDESK_PG_PORT:-5433}"

usage() { echo "usage: $0 start|stop|status|env [ldap] [bao] [pg]" >&2; exit 2; }

cmd="${1:-}"
[[ -n "$cmd" ]] || usage
shift
servers=()
for arg in "$@"; do
    case "$arg" in
        ldap | slapd) servers+=(ldap) ;;
        bao | vault | openbao) servers+=(bao) ;;
        pg | postgres | postgresql) servers+=(pg) ;;
        *) echo "unknown server: $arg (choose from ldap bao pg)" >&2; usage ;;
    esac
done
((${#servers[@]} > 0)) || servers=(ldap bao pg)

chosen() {
    local s
    for s in "${servers[@]}"; do [[ "$s" == "$1" ]] && return 0; done
    return 1
}

script_for() {
    case "$1" in
        ldap) echo "$HERE/slapd.sh" ;;
        bao) echo "$HERE/bao.sh" ;;
        pg) echo "$HERE/postgres.sh" ;;
    esac
}

# export NAME=value, single-quoted only when the value holds characters the shell would mangle.
emit() {
    local value="$2"
    if [[ "$value" =~ ^[A-Za-z0-9_./:@,=+%-]*$ ]]; then
        printf 'export %s=%s\n' "$1" "$value"
    else
        printf "export %s='%s'\n" "$1" "${value//\'/\'\\\'\'}"
    fi
}

do_env() {
    if chosen ldap; then
        if "$HERE/slapd.sh" status >/dev/null 2>&1; then
            emit KEYDESK_LDAP_URI "ldap://127.0.0.1:${LDAP_PORT}"
            emit KEYDESK_LDAP_BIND_DN "cn=keydesk,ou=services,dc=example,dc=org"
            emit KEYDESK_LDAP_BIND_PASSWORD_FILE "$RUN_DIR/ldap/bind_password"
            emit KEYDESK_LDAP_ADMIN_DN "cn=admin,dc=example,dc=org"
            emit KEYDESK_LDAP_ADMIN_PASSWORD "admin-pass"
        else
            log "warning: slapd is not running; no LDAP settings printed"
        fi
    fi
    if chosen bao; then
        if "$HERE/bao.sh" status >/dev/null 2>&1 && [[ -s "$RUN_DIR/bao/role_id" ]]; then
            emit VAULT_ADDR "http://127.0.0.1:${BAO_PORT}"
            emit VAULT_ROLE_ID "$(cat "$RUN_DIR/bao/role_id")"
            emit VAULT_SECRET_ID_FILE "$RUN_DIR/bao/secret_id"
            emit VAULT_NAMESPACE_APPROLES_DIR "$RUN_DIR/bao/namespaces"
            emit KEYDESK_BAO_ROOT_TOKEN_FILE "$RUN_DIR/bao/root_token"
            emit KEYDESK_VAULT_BIN "$(bao_bin)"
            emit KEYDESK_BAO_AUDIT_LOG "$RUN_DIR/bao/audit.log"
        else
            log "warning: OpenBao is not running or not bootstrapped; no Vault settings printed"
        fi
    fi
    if chosen pg; then
        if "$HERE/postgres.sh" status >/dev/null 2>&1; then
            emit KEYDESK_TEST_DATABASE_URL "postgres://keydesk@127.0.0.1:${PG_PORT}/keydesk"
        else
            log "warning: PostgreSQL is not running; no database URL printed"
        fi
    fi
}

case "$cmd" in
    start)
        # Debian packages first: python-ldap (installed by ensure_venv) compiles against them.
        ensure_apt_packages "${KEYDESK_APT_PACKAGES[@]}"
        ensure_venv
        mkdir -p "$RUN_DIR"
        for s in ldap pg bao; do
            if chosen "$s"; then "$(script_for "$s")" start; fi
        done
        # slapd reloads the directory file at each start, which puts the demo device account's
        # password back to the file's; have OpenBao's LDAP engine set (and know) a fresh one.
        if chosen ldap && "$HERE/bao.sh" status >/dev/null 2>&1 && [[ -s "$RUN_DIR/bao/root_token" ]]; then
            BAO_ADDR="http://127.0.0.1:${BAO_PORT}" BAO_TOKEN="$(cat "$RUN_DIR/bao/root_token")" \
                "$(bao_bin)" write -f ldap/rotate-role/svc-device >/dev/null 2>&1 \
                && log "re-synchronised OpenBao's LDAP static role svc-device with the reloaded directory" \
                || log "warning: could not re-synchronise the LDAP static role svc-device"
        fi
        log "started: ${servers[*]} (eval \"\$($0 env)\" to export the settings)"
        ;;
    stop)
        rc=0
        for s in bao pg ldap; do
            if chosen "$s"; then "$(script_for "$s")" stop || rc=1; fi
        done
        exit "$rc"
        ;;
    status)
        rc=0
        for s in ldap bao pg; do
            if chosen "$s"; then "$(script_for "$s")" status || rc=3; fi
        done
        exit "$rc"
        ;;
    env) do_env ;;
    *) usage ;;
esac
