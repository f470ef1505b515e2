#!/usr/bin/env python3
"""Bootstrap Keydesk's OpenBao dev server (run by scripts/bao.sh with the venv's python).

With the root token it sets up, idempotently:

* a file audit device at path ``file`` writing to ``<out-dir>/audit.log``;
* the namespaces (default ``acme`` and ``globex``) and, in the root namespace and in each of
  them, a KV v2 mount per ``--kv-mount`` (default ``keydesk``);
* a spare KV v2 mount ``other`` in the root namespace (and in each namespace), used to prove the
  portal's token cannot read outside its own mounts;
* the least-privilege policy ``keydesk-portal`` in the ROOT namespace. Its paths carry the
  namespace prefix (``acme/keydesk/data/*``), which OpenBao 2.x honours for tokens of the root
  namespace calling into a child namespace (X-Vault-Namespace header or path prefix);
* AppRole auth with role ``keydesk-portal`` bound to that policy; its role_id and a fresh
  secret_id are written to ``<out-dir>/role_id`` and ``<out-dir>/secret_id`` (mode 600). The
  previous secret_id found in that file, if any, is destroyed.

Finally it logs in as the AppRole and checks what the token can and cannot do; any mismatch
makes the script exit non-zero. Only messages, never secret values, go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

import hvac
from hvac import exceptions as hvac_exc

AUDIT_PATH = "file"
OTHER_MOUNT = "other"
CHECK_PREFIX = "_keydesk-bootstrap-check"


def log(msg: str) -> None:
    print(f"bao_bootstrap: {msg}", file=sys.stderr)


def read_secret_file(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


def write_private(path: Path, value: str) -> None:
    """Write value (no trailing newline) to path, readable by the owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def client(addr: str, token: str | None = None, namespace: str | None = None) -> hvac.Client:
    return hvac.Client(url=addr, token=token, namespace=namespace or None, timeout=10)


# --------------------------------------------------------------------------- set-up steps


def ensure_audit(root: hvac.Client, audit_log: Path) -> None:
    devices = root.sys.list_enabled_audit_devices()["data"]
    key = AUDIT_PATH + "/"
    if key in devices:
        current = devices[key].get("options", {}).get("file_path")
        if current == str(audit_log):
            log(f"audit device {AUDIT_PATH}/ already enabled ({audit_log})")
            return
        log(f"audit device {AUDIT_PATH}/ writes to {current}; re-enabling it for {audit_log}")
        root.sys.disable_audit_device(AUDIT_PATH)
    root.sys.enable_audit_device("file", path=AUDIT_PATH, options={"file_path": str(audit_log)})
    log(f"enabled file audit device {AUDIT_PATH}/ -> {audit_log}")


def ensure_namespace(root: hvac.Client, name: str) -> None:
    try:
        existing = root.sys.list_namespaces()["data"]["keys"]
    except hvac_exc.InvalidPath:  # no namespace yet: LIST answers 404
        existing = []
    if name + "/" in existing:
        log(f"namespace {name} exists")
        return
    root.sys.create_namespace(name)
    log(f"created namespace {name}")


def ensure_kv2(c: hvac.Client, mount: str, where: str) -> None:
    mounts = c.sys.list_mounted_secrets_engines()["data"]
    entry = mounts.get(mount + "/")
    if entry is not None:
        version = (entry.get("options") or {}).get("version")
        if entry.get("type") != "kv" or version != "2":
            raise SystemExit(
                f"{where}: mount {mount}/ exists but is {entry.get('type')} v{version}, not kv v2"
            )
        log(f"{where}: KV v2 mount {mount}/ exists")
        return
    c.sys.enable_secrets_engine(
        "kv",
        path=mount,
        options={"version": "2"},
        description="Keydesk device credentials"
        if mount != OTHER_MOUNT
        else "not for Keydesk: access checks",
    )
    log(f"{where}: enabled KV v2 mount {mount}/")


TRANSIT_MOUNT = "transit"
AUDIT_KEY = "keydesk-audit"


def ensure_transit_key(root: hvac.Client) -> None:
    """A Transit mount with a non-exportable ed25519 key for signing audit checkpoints."""
    mounts = root.sys.list_mounted_secrets_engines()["data"]
    if f"{TRANSIT_MOUNT}/" not in mounts:
        root.sys.enable_secrets_engine("transit", path=TRANSIT_MOUNT, description="Keydesk audit checkpoints")
    try:
        root.secrets.transit.read_key(AUDIT_KEY, mount_point=TRANSIT_MOUNT)
    except hvac.exceptions.InvalidPath:
        root.secrets.transit.create_key(
            AUDIT_KEY, key_type="ed25519", exportable=False, mount_point=TRANSIT_MOUNT
        )
    log(f"root namespace: Transit key {TRANSIT_MOUNT}/{AUDIT_KEY} for audit checkpoints")


PASSWORD_POLICY = "keydesk-device"
PASSWORD_POLICY_HCL = """
length = 28
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 2
}
rule "charset" {
  charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 2
}
rule "charset" {
  charset = "0123456789"
  min-chars = 2
}
rule "charset" {
  charset = "-_.:"
  min-chars = 1
}
"""


def ensure_password_policy(c: hvac.Client, where: str) -> None:
    """A password policy devices accept, for credentials that name it."""
    c.write(f"sys/policies/password/{PASSWORD_POLICY}", policy=PASSWORD_POLICY_HCL)
    log(f"{where}: password policy {PASSWORD_POLICY}")


DATABASE_MOUNT, LDAP_MOUNT = "database", "ldap"
DB_STATIC_ROLE, LDAP_STATIC_ROLE = "device-db-demo", "svc-device"


def ensure_database_engine(root: hvac.Client, pg_port: int) -> bool:
    """OpenBao's database engine on the project's PostgreSQL, rotating one device account (static
    role). Skipped when PostgreSQL is not running (the demo runs without it)."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", pg_port), timeout=1).close()
    except OSError:
        log(f"PostgreSQL not on 127.0.0.1:{pg_port}: database engine skipped")
        return False
    if f"{DATABASE_MOUNT}/" not in root.sys.list_mounted_secrets_engines()["data"]:
        root.sys.enable_secrets_engine("database", path=DATABASE_MOUNT)
    root.write(
        f"{DATABASE_MOUNT}/config/keydesk-pg",
        plugin_name="postgresql-database-plugin",
        connection_url=f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{pg_port}/keydesk?sslmode=disable",
        username="vault_admin",
        password="vault-admin-pass",
        allowed_roles="*",
    )
    root.write(
        f"{DATABASE_MOUNT}/static-roles/{DB_STATIC_ROLE}",
        db_name="keydesk-pg", username="device_db_demo", rotation_period="2160h",
    )
    log(f"root namespace: database engine {DATABASE_MOUNT}/ with static role {DB_STATIC_ROLE} (PostgreSQL)")
    return True


def ensure_ldap_engine(root: hvac.Client, ldap_port: int) -> None:
    """OpenBao's LDAP engine on the project's slapd, rotating a device's directory account."""
    if f"{LDAP_MOUNT}/" not in root.sys.list_mounted_secrets_engines()["data"]:
        root.sys.enable_secrets_engine("ldap", path=LDAP_MOUNT)
    root.write(
        f"{LDAP_MOUNT}/config",
        binddn="cn=admin,dc=example,dc=org", bindpass="admin-pass",
        url=f"ldap://127.0.0.1:{ldap_port}", schema="openldap", userdn="ou=services,dc=example,dc=org",
    )
    root.write(
        f"{LDAP_MOUNT}/static-role/{LDAP_STATIC_ROLE}",
        dn=f"uid={LDAP_STATIC_ROLE},ou=services,dc=example,dc=org", username=LDAP_STATIC_ROLE,
        rotation_period="2160h",
    )
    log(f"root namespace: LDAP engine {LDAP_MOUNT}/ with static role {LDAP_STATIC_ROLE} (slapd)")


PKI_MOUNT, PKI_ROLE, PKI_DOMAIN = "pki", "device", "devices.example.org"


def ensure_pki(root: hvac.Client) -> None:
    """A PKI mount with a test root CA and a role that issues device certificates."""
    if f"{PKI_MOUNT}/" not in root.sys.list_mounted_secrets_engines()["data"]:
        root.sys.enable_secrets_engine("pki", path=PKI_MOUNT, config={"max_lease_ttl": "87600h"})
        root.write(f"{PKI_MOUNT}/root/generate/internal", common_name="Keydesk Test Device CA", ttl="87600h")
    root.write(
        f"{PKI_MOUNT}/roles/{PKI_ROLE}", allowed_domains=PKI_DOMAIN, allow_subdomains=True, max_ttl="8760h",
        ttl="2160h", key_type="ec", key_bits=256,
    )
    log(f"root namespace: PKI {PKI_MOUNT}/ with role {PKI_ROLE} for *.{PKI_DOMAIN}")


def policy_hcl(mounts: list[str], transit: bool = True) -> str:
    lines = [
        "# Keydesk portal: read and write device credentials in its KV v2 mounts, nothing else.",
        "# No delete/destroy/patch, no sys/. Written by scripts/bao_bootstrap.py.",
        "",
    ]
    for mount in mounts:
        lines += [
            f'path "{mount}/data/*" {{',
            '  capabilities = ["create", "read", "update"]',
            "}",
            f'path "{mount}/metadata/*" {{',
            "  # update: custom_metadata saying who rotated, when and why (no delete)",
            '  capabilities = ["read", "list", "update"]',
            "}",
            "",
        ]
    lines += (
        []
        if not transit
        else [
            "# Signing audit-trail checkpoints with a Transit key the portal can use but never export.",
            f'path "{TRANSIT_MOUNT}/sign/{AUDIT_KEY}" {{',
            '  capabilities = ["update"]',
            "}",
            f'path "{TRANSIT_MOUNT}/verify/{AUDIT_KEY}" {{',
            '  capabilities = ["update"]',
            "}",
            "",
        ]
    )
    lines += [] if not transit else [
        "# Static roles of the database and LDAP engines: read the current account, ask for rotation.",
        f'path "{DATABASE_MOUNT}/static-creds/*" {{',
        '  capabilities = ["read"]',
        "}",
        f'path "{DATABASE_MOUNT}/static-roles/*" {{',
        '  capabilities = ["read"]',
        "}",
        f'path "{DATABASE_MOUNT}/rotate-role/*" {{',
        '  capabilities = ["update"]',
        "}",
        f'path "{LDAP_MOUNT}/static-cred/*" {{',
        '  capabilities = ["read"]',
        "}",
        f'path "{LDAP_MOUNT}/static-role/*" {{',
        '  capabilities = ["read"]',
        "}",
        f'path "{LDAP_MOUNT}/rotate-role/*" {{',
        '  capabilities = ["update"]',
        "}",
        "# Device certificates: issue only (the issued bundle is kept in KV by the portal).",
        f'path "{PKI_MOUNT}/issue/{PKI_ROLE}" {{',
        '  capabilities = ["update"]',
        "}",
        "",
    ]
    lines += [
        "# New values from the namespace's password policies (Credential.password_policy).",
        'path "sys/policies/password/+/generate" {',
        '  capabilities = ["read"]',
        "}",
        "",
        "# The token's own housekeeping (the default policy is not attached).",
        'path "auth/token/lookup-self" {',
        '  capabilities = ["read"]',
        "}",
        'path "auth/token/renew-self" {',
        '  capabilities = ["update"]',
        "}",
        'path "auth/token/revoke-self" {',
        '  capabilities = ["update"]',
        "}",
        "",
    ]
    return "\n".join(lines)


def ensure_approle(root: hvac.Client, role: str, policy: str, out_dir: Path) -> tuple[str, str]:
    methods = root.sys.list_auth_methods()["data"]
    if "approle/" not in methods:
        root.sys.enable_auth_method("approle", path="approle")
        log("enabled AppRole auth at approle/")
    # Plain API call: hvac's create_or_update_approle() has no token_no_default_policy.
    root.adapter.post(
        f"/v1/auth/approle/role/{role}",
        json={
            "token_policies": [policy],
            "token_no_default_policy": True,
            "token_type": "service",
            "token_ttl": "1h",
            "token_max_ttl": "4h",
            "secret_id_ttl": "0",
            "secret_id_num_uses": 0,
            "bind_secret_id": True,
        },
    )
    log(f"AppRole role {role} -> policy {policy} (token_ttl 1h, token_max_ttl 4h, secret_id_ttl 0)")
    role_id = root.auth.approle.read_role_id(role)["data"]["role_id"]

    secret_id_file = out_dir / "secret_id"
    if secret_id_file.exists():
        old = read_secret_file(secret_id_file)
        if old:
            try:
                root.auth.approle.destroy_secret_id(role, old)
                log("destroyed the previous secret_id")
            except hvac_exc.VaultError:
                pass  # already gone (e.g. a new dev server): nothing to revoke
    secret_id = root.auth.approle.generate_secret_id(
        role, metadata={"issued_by": "scripts/bao_bootstrap.py"}
    )["data"]["secret_id"]
    write_private(out_dir / "role_id", role_id)
    write_private(secret_id_file, secret_id)
    log(f"wrote {out_dir / 'role_id'} and {secret_id_file} (mode 600)")
    return role_id, secret_id


# --------------------------------------------------------------------------- verification


class Checker:
    """Collects the outcome of calls that must succeed or must be refused with 403."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passed = 0

    def expect_ok(self, what: str, fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except hvac_exc.VaultError as exc:
            self.failures.append(f"{what}: expected success, got {type(exc).__name__}: {exc}")
            return None
        self.passed += 1
        return result

    def expect_denied(self, what: str, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except hvac_exc.Forbidden:
            self.passed += 1
            return
        except hvac_exc.VaultError as exc:
            self.failures.append(f"{what}: expected 403, got {type(exc).__name__}: {exc}")
            return
        self.failures.append(f"{what}: expected 403, but it succeeded")


def check_mount(check: Checker, c: hvac.Client, where: str, mount: str, path: str) -> None:
    """What the portal token must and must not do in one of its KV v2 mounts."""
    kv = c.secrets.kv.v2
    at = f"{where}: {mount}/{path}"
    check.expect_ok(
        f"create {at} (cas=0)", kv.create_or_update_secret, path, {"probe": "1"}, mount_point=mount, cas=0
    )
    check.expect_ok(
        f"update {at} (cas=1)", kv.create_or_update_secret, path, {"probe": "2"}, mount_point=mount, cas=1
    )
    got = check.expect_ok(
        f"read {at}", kv.read_secret_version, path, mount_point=mount, raise_on_deleted_version=True
    )
    if got is not None and got["data"]["data"] != {"probe": "2"}:
        check.failures.append(f"read {at}: got the wrong data back")
    check.expect_ok(
        f"list {where}: {mount}/{CHECK_PREFIX}/", kv.list_secrets, CHECK_PREFIX, mount_point=mount
    )
    check.expect_ok(f"read metadata {at}", kv.read_secret_metadata, path, mount_point=mount)
    check.expect_denied(f"delete latest {at}", kv.delete_latest_version_of_secret, path, mount_point=mount)
    check.expect_denied(f"destroy {at}", kv.destroy_secret_versions, path, [1], mount_point=mount)
    check.expect_denied(f"delete metadata {at}", kv.delete_metadata_and_all_versions, path, mount_point=mount)
    # A real HTTP PATCH (hvac's kv.patch() is a read followed by a write).
    check.expect_denied(
        f"patch {at}",
        c.adapter.request,
        "patch",
        f"/v1/{mount}/data/{path}",
        headers={"Content-Type": "application/merge-patch+json"},
        json={"data": {"probe": "3"}},
    )
    check.expect_denied(f"write {where}: {mount}/config", kv.configure, max_versions=1, mount_point=mount)


def verify(
    addr: str,
    root_token: str,
    role_id: str,
    secret_id: str,
    mounts: list[str],
    namespaces: list[str],
    policy: str,
    role: str,
    home: str | None = None,
) -> None:
    """Log in as the AppRole of `home` (None: the root namespace) and check it can use its own
    KV mounts, and nothing else: no other namespace, no other mount, no sys/."""
    login = client(addr, namespace=home)
    login.auth.approle.login(role_id=role_id, secret_id=secret_id)
    token = login.token
    check = Checker()
    where_home = f"namespace {home}" if home else "root namespace"
    try:
        me = client(addr, token, home).auth.token.lookup_self()["data"]
        if sorted(me.get("policies", [])) != [policy]:
            check.failures.append(f"AppRole token policies are {me.get('policies')}, want [{policy!r}]")
        probe = f"{CHECK_PREFIX}/{uuid.uuid4().hex}"
        c = client(addr, token, home)
        for mount in mounts:
            check_mount(check, c, where_home, mount, probe)
        other = c.secrets.kv.v2
        check.expect_denied(
            f"{where_home}: read {OTHER_MOUNT}/ (outside the policy)",
            other.read_secret_version,
            "anything",
            mount_point=OTHER_MOUNT,
            raise_on_deleted_version=True,
        )
        check.expect_denied(
            f"{where_home}: write {OTHER_MOUNT}/ (outside the policy)",
            other.create_or_update_secret,
            "anything",
            {"x": "1"},
            mount_point=OTHER_MOUNT,
        )
        check.expect_denied(f"{where_home}: list sys/mounts", c.sys.list_mounted_secrets_engines)
        check.expect_denied(f"{where_home}: list policies", c.sys.list_acl_policies)
        # Isolation: this token reaches no other tenant's namespace (nor, from a namespace, the root).
        for elsewhere in [None, *namespaces]:
            if elsewhere == home:
                continue
            label = f"namespace {elsewhere}" if elsewhere else "root namespace"
            for mount in mounts:
                check.expect_denied(
                    f"{where_home} token: read {label} {mount}/ (another tenant)",
                    client(addr, token, elsewhere).secrets.kv.v2.read_secret_version,
                    "anything",
                    mount_point=mount,
                    raise_on_deleted_version=True,
                )
        if home is None:
            rc = client(addr, token)
            check.expect_denied("read sys/audit", rc.sys.list_enabled_audit_devices)
            check.expect_denied("list sys/auth", rc.sys.list_auth_methods)
            check.expect_denied(f"read policy {policy}", rc.sys.read_acl_policy, policy)
            check.expect_denied("list namespaces", rc.sys.list_namespaces)
            check.expect_denied("create a token", rc.auth.token.create, policies=[policy])
            check.expect_denied("read the AppRole role_id", rc.auth.approle.read_role_id, role)
            check.expect_denied("read cubbyhole (default policy not attached)", rc.read, "cubbyhole/x")
    finally:
        # Remove the probe secrets (all versions) with the root token; the mounts start empty.
        kv = client(addr, root_token, home).secrets.kv.v2
        for mount in mounts:
            try:
                keys = kv.list_secrets(CHECK_PREFIX, mount_point=mount)["data"]["keys"]
            except hvac_exc.InvalidPath:
                continue
            for key in keys:
                kv.delete_metadata_and_all_versions(f"{CHECK_PREFIX}/{key}", mount_point=mount)
        try:
            client(addr, token, home).auth.token.revoke_self()
        except hvac_exc.VaultError:
            pass
    if check.failures:
        for failure in check.failures:
            log(f"CHECK FAILED: {failure}")
        raise SystemExit(f"{len(check.failures)} access check(s) failed")
    log(
        f"{where_home} AppRole token checks passed ({check.passed}): read/write/list its own mounts; no other "
        f"namespace, no delete/destroy/patch/config, no sys/, no {OTHER_MOUNT}/"
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    run_dir = Path(os.environ.get("KEYDESK_RUN_DIR") or Path(__file__).resolve().parent.parent / ".run")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--addr", default=os.environ.get("VAULT_ADDR", "http://127.0.0.1:8201"))
    p.add_argument("--token-file", type=Path, default=run_dir / "bao" / "root_token")
    p.add_argument(
        "--out-dir", type=Path, default=run_dir / "bao", help="where audit.log, role_id and secret_id go"
    )
    p.add_argument(
        "--kv-mount",
        action="append",
        dest="kv_mounts",
        metavar="NAME",
        help="KV v2 mount for Keydesk (repeatable; default: keydesk)",
    )
    p.add_argument(
        "--namespace",
        action="append",
        dest="namespaces",
        metavar="NAME",
        help="OpenBao namespace to create (repeatable; default: acme, globex)",
    )
    p.add_argument(
        "--no-namespaces",
        action="store_true",
        help="create no namespaces (e.g. for a server without namespace support)",
    )
    p.add_argument("--policy", default="keydesk-portal")
    p.add_argument("--role", default="keydesk-portal")
    p.add_argument("--skip-verify", action="store_true", help="do not run the AppRole access checks")
    args = p.parse_args(argv)

    mounts = args.kv_mounts or ["keydesk"]
    namespaces = [] if args.no_namespaces else (args.namespaces or ["acme", "globex"])
    for name in mounts + namespaces:
        if (
            not name
            or "/" in name
            or name.startswith(("sys", "auth", "cubbyhole", "identity"))
            or name == OTHER_MOUNT
        ):
            p.error(f"unusable mount/namespace name: {name!r}")

    out_dir: Path = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    root_token = read_secret_file(args.token_file)
    root = client(args.addr, root_token)
    if not root.is_authenticated():
        raise SystemExit(f"the token in {args.token_file} is not valid for {args.addr}")

    ensure_audit(root, out_dir / "audit.log")
    for ns in namespaces:
        ensure_namespace(root, ns)
    for ns in [None] + namespaces:
        c = client(args.addr, root_token, ns)
        where = f"namespace {ns}" if ns else "root namespace"
        for mount in mounts + [OTHER_MOUNT]:
            ensure_kv2(c, mount, where)
        ensure_password_policy(c, where)

    ensure_transit_key(root)
    ensure_database_engine(root, int(os.environ.get("KEYDESK_PG_PORT", "5433")))
    ensure_ldap_engine(root, int(os.environ.get("KEYDESK_LDAP_PORT", "3389")))
    ensure_pki(root)
    # One identity per namespace: the root AppRole reaches only the root namespace's mounts (and the
    # audit Transit key); each tenant namespace has its own policy and AppRole.
    root.sys.create_or_update_policy(args.policy, policy_hcl(mounts, transit=True))
    log(f"wrote policy {args.policy} in the root namespace")
    role_id, secret_id = ensure_approle(root, args.role, args.policy, out_dir)
    namespace_roles = {}
    for ns in namespaces:
        nc = client(args.addr, root_token, ns)
        nc.sys.create_or_update_policy(args.policy, policy_hcl(mounts, transit=False))
        ns_dir = out_dir / "namespaces" / ns
        ns_dir.mkdir(parents=True, exist_ok=True)
        namespace_roles[ns] = ensure_approle(nc, args.role, args.policy, ns_dir)
        log(f"namespace {ns}: policy {args.policy} and AppRole {args.role}")

    if not args.skip_verify:
        verify(args.addr, root_token, role_id, secret_id, mounts, namespaces, args.policy, args.role)
        for ns, (ns_role_id, ns_secret_id) in namespace_roles.items():
            verify(
                args.addr,
                root_token,
                ns_role_id,
                ns_secret_id,
                mounts,
                namespaces,
                args.policy,
                args.role,
                home=ns,
            )
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
