"""The Vault/OpenBao gateway: the only module that imports hvac.

It logs in with AppRole (a token only in development), keeps one hvac client per namespace, and
turns every hvac and transport error into one of the portal's own errors below, each with a message
a support engineer can act on and the HTTP status the portal should answer with. Secret values pass
through in SecretVersion.data, whose repr never shows them.
"""

import base64
import datetime
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import hvac
import hvac.exceptions
import requests
from django.conf import settings

T = TypeVar("T")


# --- the portal's own errors -------------------------------------------------------------------


class VaultError(Exception):
    """Base of every gateway error. `status` is the HTTP status the portal answers with."""

    status = 502

    def __init__(self, message: str, *, request_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class VaultNotFound(VaultError):
    status = 404


class VaultDeleted(VaultError):
    status = 410


class VaultForbidden(VaultError):
    # The portal's own Vault policy refused: a configuration problem, not the engineer's.
    status = 502


class VaultSealed(VaultError):
    status = 503


class VaultUnavailable(VaultError):
    status = 503


class VaultConflict(VaultError):
    status = 409


# What /v1/sys/health's status codes mean.
HEALTH_STATES = {
    200: "ok",
    429: "standby",
    472: "dr-secondary",
    473: "performance-standby",
    501: "not initialised",
    503: "sealed",
}


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretRef:
    """Where one secret lives: namespace ('' for root), KV v2 mount, path under the mount."""

    namespace: str
    mount: str
    path: str

    def __str__(self) -> str:
        prefix = f"{self.namespace}/" if self.namespace else ""
        return f"{prefix}{self.mount}/{self.path}"


@dataclass(frozen=True)
class SecretVersion:
    """One version of a secret as read from Vault. `data` holds the values: never log it."""

    data: Mapping[str, Any] = field(repr=False)
    version: int
    created_time: str
    request_id: str
    custom_metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionInfo:
    """One version in a secret's history: when it was written, whether it still has a value."""

    version: int
    created_time: str
    deletion_time: str
    destroyed: bool

    @property
    def readable(self) -> bool:
        return not self.destroyed and not self.deletion_time


@dataclass(frozen=True)
class SecretMetadata:
    current_version: int
    created_time: str
    updated_time: str
    current_deleted: bool
    request_id: str
    versions: tuple[VersionInfo, ...] = ()
    max_versions: int = 0
    cas_required: bool = False
    custom_metadata: dict[str, str] | None = None


@dataclass(frozen=True)
class WriteResult:
    version: int
    request_id: str


# --- the client --------------------------------------------------------------------------------


@dataclass
class _Session:
    """One AppRole identity and its current token. The portal has one for the root namespace and,
    where configured, one per tenant namespace, so a token of tenant A cannot read tenant B."""

    namespace: str
    role_id: str = ""
    secret_id: str = ""
    token: str = ""
    # When the token must be renewed (monotonic clock); None for a static token.
    renew_at: float | None = None
    renewable: bool = False


class VaultClient:
    """A lazily authenticated connection to one Vault/OpenBao server, shared by a worker process."""

    def __init__(
        self,
        addr: str,
        *,
        role_id: str = "",
        secret_id: str = "",
        token: str = "",
        namespace_approles: Mapping[str, tuple[str, str]] | None = None,
        approle_mount: str = "approle",
        verify: bool | str = True,
        cert: tuple[str, str] | None = None,
        timeout: float = 5,
        read_retries: int = 2,
    ) -> None:
        if not (role_id and secret_id) and not token:
            raise ValueError("VaultClient needs an AppRole (role_id + secret_id) or a token")
        self.addr = addr
        self._sessions = {"": _Session("", role_id=role_id, secret_id=secret_id, token=token)}
        for namespace, (ns_role_id, ns_secret_id) in (namespace_approles or {}).items():
            self._sessions[namespace] = _Session(namespace, role_id=ns_role_id, secret_id=ns_secret_id)
        self._approle_mount = approle_mount
        self._verify = verify
        self._cert = cert
        self._timeout = timeout
        self._read_retries = read_retries
        self._clients: dict[str, hvac.Client] = {}
        self._lock = threading.Lock()
        # Counts HTTP calls to Vault (logins and renewals apart) so tests can prove the call budget.
        self.calls = 0
        self.logins = 0
        self.renewals = 0

    def __repr__(self) -> str:
        return f"VaultClient(addr={self.addr!r})"

    # -- plumbing --

    def _session(self, namespace: str) -> _Session:
        """The namespace's own AppRole session, else the root one (its policy decides what it may)."""
        return self._sessions.get(namespace) or self._sessions[""]

    def _hvac(self, namespace: str) -> hvac.Client:
        client = self._clients.get(namespace)
        if client is None:
            client = hvac.Client(
                url=self.addr,
                verify=self._verify,
                cert=self._cert,
                timeout=self._timeout,
                namespace=namespace or None,
            )
            self._clients[namespace] = client
        client.token = self._session(namespace).token
        return client

    def _login(self, namespace: str = "") -> None:
        session = self._session(namespace)
        if not session.role_id:
            return
        with self._lock:
            # A namespace's AppRole lives in that namespace.
            login_client = hvac.Client(
                url=self.addr,
                verify=self._verify,
                cert=self._cert,
                timeout=self._timeout,
                namespace=session.namespace or None,
            )
            where = f" for namespace {session.namespace}" if session.namespace else ""
            response = self._translate(
                lambda: login_client.auth.approle.login(
                    role_id=session.role_id,
                    secret_id=session.secret_id,
                    mount_point=self._approle_mount,
                    use_token=False,
                ),
                what=f"log in with the portal's AppRole{where}",
            )
            session.token = response["auth"]["client_token"]
            self._schedule_renewal(session, response["auth"])
            self.logins += 1

    @staticmethod
    def _schedule_renewal(session: _Session, auth: dict) -> None:
        lease = int(auth.get("lease_duration") or 0)
        # Renew when two thirds of the token's life have passed; a token that cannot be renewed
        # is replaced by a fresh login at that point instead.
        session.renew_at = time.monotonic() + lease * 2 / 3 if lease else None
        session.renewable = bool(auth.get("renewable"))

    def _keep_token_fresh(self, namespace: str) -> None:
        """Renew (or replace) the AppRole token before it expires, not on every request."""
        session = self._session(namespace)
        if not session.token:
            self._login(namespace)
            return
        if session.renew_at is None or time.monotonic() < session.renew_at:
            return
        if session.renewable:
            try:
                response = self._translate(
                    lambda: self._hvac(session.namespace).auth.token.renew_self(),
                    what="renew the portal's Vault token",
                )
                self._schedule_renewal(session, response["auth"])
                self.renewals += 1
                return
            except VaultError:
                pass  # at its maximum lifetime, or revoked: log in afresh
        self._login(namespace)

    def _translate(self, operation: Callable[[], T], *, what: str) -> T:
        from portal.web.metrics import VAULT_SECONDS, timed

        with timed(VAULT_SECONDS, what.split(" ", 1)[0]):
            return self._translate_errors(operation, what=what)

    def _translate_errors(self, operation: Callable[[], T], *, what: str) -> T:
        try:
            return operation()
        except hvac.exceptions.InvalidPath:
            raise VaultNotFound(f"Vault has nothing at that path ({what}).") from None
        except hvac.exceptions.VaultDown:
            raise VaultSealed(
                f"Vault at {self.addr} is sealed or not ready, so the portal could not {what}. "
                "An operator must unseal it; try again afterwards."
            ) from None
        except hvac.exceptions.RateLimitExceeded:
            raise VaultUnavailable(
                f"Vault is rate-limiting the portal; it could not {what}. Wait a few seconds and try again."
            ) from None
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise VaultForbidden(
                f"Vault refused the portal permission to {what}. The portal's Vault policy may not cover "
                "this path: tell the platform team."
            ) from None
        except hvac.exceptions.InvalidRequest as exc:
            text = " ".join(exc.errors or [str(exc)])
            if "check-and-set" in text:
                raise VaultConflict(
                    "The secret changed in Vault while you were working on it. Reload the device and try again."
                ) from None
            if "unknown role" in text:
                raise VaultNotFound(f"Vault does not know that role ({what}).") from None
            raise VaultError(f"Vault rejected the request to {what}: {text}") from None
        except (
            hvac.exceptions.InternalServerError,
            hvac.exceptions.BadGateway,
            hvac.exceptions.UnexpectedError,
        ):
            raise VaultUnavailable(
                f"Vault answered with a server error when the portal tried to {what}. Try again in a minute."
            ) from None
        except hvac.exceptions.VaultError as exc:
            raise VaultError(f"Vault could not {what}: {type(exc).__name__}.") from None
        except requests.Timeout:
            raise VaultUnavailable(
                f"Vault at {self.addr} did not answer within {self._timeout:g}s, so the portal could not {what}. "
                "Try again in a minute."
            ) from None
        except requests.ConnectionError:
            raise VaultUnavailable(
                f"Vault at {self.addr} cannot be reached, so the portal could not {what}. "
                "Try again in a minute; if it persists, tell the platform team."
            ) from None

    def _call(
        self, namespace: str, operation: Callable[[hvac.Client], T], *, what: str, idempotent: bool = False
    ) -> T:
        """One Vault call. A refused token (expired, revoked) gets one fresh login and one retry —
        safe for writes too, since Vault changed nothing. Reads (idempotent) also retry a bounded
        number of times when Vault is briefly unavailable; writes never retry blindly, because a
        write that timed out may have happened."""
        self._keep_token_fresh(namespace)
        attempts = 1 + (self._read_retries if idempotent else 0)
        for attempt in range(attempts):
            try:
                self.calls += 1
                return self._translate(lambda: operation(self._hvac(namespace)), what=what)
            except VaultForbidden:
                if not self._session(namespace).role_id:
                    raise
                self._login(namespace)
                self.calls += 1
                return self._translate(lambda: operation(self._hvac(namespace)), what=what)
            except VaultUnavailable:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- KV v2 --

    def read(self, ref: SecretRef, version: int | None = None) -> SecretVersion:
        """The latest (or given) version of a KV v2 secret, values included."""
        what = f"read {ref}" + (f" version {version}" if version else "")
        try:
            response = self._call(
                ref.namespace,
                lambda c: c.secrets.kv.v2.read_secret_version(
                    path=ref.path, mount_point=ref.mount, version=version, raise_on_deleted_version=False
                ),
                what=what,
                idempotent=True,
            )
        except VaultNotFound:
            if version:
                raise VaultNotFound(
                    f"Version {version} of {ref} is not in Vault (it may have been pruned: Vault keeps only "
                    "the newest versions)."
                ) from None
            raise VaultNotFound(f"There is no secret at {ref} in Vault.") from None
        payload = response.get("data") or {}
        metadata = payload.get("metadata") or {}
        if payload.get("data") is None:
            raise VaultDeleted(
                f"Version {metadata.get('version', '?')} of {ref} was deleted or destroyed in Vault; "
                "there is no value to show.",
                request_id=response.get("request_id", ""),
            )
        return SecretVersion(
            data=dict(payload["data"]),
            version=int(metadata.get("version", 0)),
            created_time=metadata.get("created_time", ""),
            request_id=response.get("request_id", ""),
            custom_metadata=metadata.get("custom_metadata") or {},
        )

    def metadata(self, ref: SecretRef) -> SecretMetadata:
        """Version bookkeeping of a KV v2 secret, without values."""
        try:
            response = self._call(
                ref.namespace,
                lambda c: c.secrets.kv.v2.read_secret_metadata(path=ref.path, mount_point=ref.mount),
                what=f"read the metadata of {ref}",
                idempotent=True,
            )
        except VaultNotFound:
            raise VaultNotFound(f"There is no secret at {ref} in Vault.") from None
        payload = response.get("data") or {}
        current = int(payload.get("current_version") or 0)
        versions = tuple(
            sorted(
                (
                    VersionInfo(
                        version=int(number),
                        created_time=info.get("created_time", ""),
                        deletion_time=info.get("deletion_time", ""),
                        destroyed=bool(info.get("destroyed")),
                    )
                    for number, info in (payload.get("versions") or {}).items()
                ),
                key=lambda info: info.version,
                reverse=True,
            )
        )
        current_info = next((info for info in versions if info.version == current), None)
        return SecretMetadata(
            current_version=current,
            created_time=payload.get("created_time", ""),
            updated_time=payload.get("updated_time", ""),
            current_deleted=bool(current_info and not current_info.readable),
            request_id=response.get("request_id", ""),
            versions=versions,
            max_versions=int(payload.get("max_versions") or 0),
            cas_required=bool(payload.get("cas_required")),
            custom_metadata=payload.get("custom_metadata") or {},
        )

    def annotate(self, ref: SecretRef, custom_metadata: Mapping[str, str]) -> str:
        """Set the secret's custom_metadata (who changed it, when, why), so Vault's own UI tells
        the same story as the portal. Returns Vault's request id."""
        response = self._call(
            ref.namespace,
            # Only custom_metadata is sent, so max_versions, cas_required and the rest stay as set.
            lambda c: c.adapter.post(
                f"/v1/{ref.mount}/metadata/{ref.path}", json={"custom_metadata": dict(custom_metadata)}
            ),
            what=f"record who changed {ref} in its metadata",
        )
        return response.get("request_id", "") if isinstance(response, dict) else ""

    def write(self, ref: SecretRef, data: Mapping[str, Any], *, cas: int) -> WriteResult:
        """Write a new version only if the current one is still `cas` (0: only if none exists)."""
        response = self._call(
            ref.namespace,
            lambda c: c.secrets.kv.v2.create_or_update_secret(
                path=ref.path, secret=dict(data), cas=cas, mount_point=ref.mount
            ),
            what=f"write {ref}",
        )
        return WriteResult(
            version=int((response.get("data") or {}).get("version", 0)),
            request_id=response.get("request_id", ""),
        )

    # -- static roles (database and LDAP secrets engines) --

    # The engines name the same things slightly differently.
    _STATIC_PATHS = {
        "db_static": ("static-creds", "static-roles", "rotate-role"),
        "ldap_static": ("static-cred", "static-role", "rotate-role"),
    }

    def _static_read(self, namespace: str, path: str, role: str) -> dict[str, Any]:
        try:
            response = self._call(namespace, lambda c: c.read(path), what=f"read {path}", idempotent=True)
        except VaultNotFound:
            response = None
        if response is None:
            raise VaultNotFound(f"There is no static role {role!r} in {path.split('/', 1)[0]}/.")
        return response

    def static_credentials(self, namespace: str, kind: str, mount: str, role: str) -> SecretVersion:
        """The account a static role manages, with its current password."""
        creds, _, _ = self._STATIC_PATHS[kind]
        response = self._static_read(namespace, f"{mount}/{creds}/{role}", role)
        data = response.get("data") or {}
        fields = {key: str(data[key]) for key in ("username", "password", "dn") if data.get(key)}
        return SecretVersion(
            data=fields,
            version=0,
            created_time=data.get("last_vault_rotation", ""),
            request_id=response.get("request_id", ""),
        )

    def static_role(self, namespace: str, kind: str, mount: str, role: str) -> dict[str, Any]:
        """The role's bookkeeping (username, last rotation, period) — no password."""
        _, roles, _ = self._STATIC_PATHS[kind]
        response = self._static_read(namespace, f"{mount}/{roles}/{role}", role)
        return {**(response.get("data") or {}), "request_id": response.get("request_id", "")}

    def rotate_static_role(self, namespace: str, kind: str, mount: str, role: str) -> str:
        """Ask the engine to set a new password on the account now. Returns Vault's request id."""
        _, _, rotate = self._STATIC_PATHS[kind]
        response = self._call(
            namespace, lambda c: c.write(f"{mount}/{rotate}/{role}"), what=f"rotate {mount}/{rotate}/{role}"
        )
        return response.get("request_id", "") if isinstance(response, dict) else ""

    # -- PKI --

    def issue_certificate(self, namespace: str, mount: str, role: str, common_name: str) -> dict[str, str]:
        """A new certificate and private key from a PKI role. Vault keeps no copy of the key, so the
        caller stores the bundle (in KV). Never retried: each call issues a certificate."""
        response = self._call(
            namespace,
            lambda c: c.write(f"{mount}/issue/{role}", common_name=common_name),
            what=f"issue a certificate for {common_name} from {mount}/{role}",
        )
        data = response["data"]
        return {
            "certificate": data["certificate"],
            "private_key": data["private_key"],
            "ca_chain": "\n".join(data.get("ca_chain") or [data.get("issuing_ca", "")]),
            "serial_number": data.get("serial_number", ""),
            "expiration": (
                datetime.datetime.fromtimestamp(int(data["expiration"]), tz=datetime.UTC).isoformat()
                if data.get("expiration")
                else ""
            ),
        }

    def generate_password(self, namespace: str, policy: str) -> str:
        """A new password from one of Vault's password policies (in that namespace)."""
        response = self._call(
            namespace,
            lambda c: c.read(f"sys/policies/password/{policy}/generate"),
            what=f"generate a password with the Vault password policy {policy!r}",
        )
        return response["data"]["password"]

    # -- health --

    def health(self, timeout: float = 2.0) -> str:
        """Vault's state from /v1/sys/health, which needs no token (so it costs no login)."""
        try:
            response = requests.get(
                f"{self.addr}/v1/sys/health",
                params={"standbycode": "429", "perfstandbyok": "false"},
                timeout=timeout,
                verify=self._verify,
                cert=self._cert,
            )
        except requests.RequestException:
            return "unreachable"
        return HEALTH_STATES.get(response.status_code, f"unexpected status {response.status_code}")

    def login_state(self) -> str:
        """ "ok" when the portal's own token works (logging in first if it has none), else what is
        wrong: a healthy Vault that refuses the portal's AppRole serves nobody, so readiness asks
        this too. One token lookup per call; the login happens only when there is no valid token."""
        try:
            self._call("", lambda c: c.auth.token.lookup_self(), what="look up the portal's own token")
        except VaultSealed:
            return "sealed"
        except VaultUnavailable:
            return "unreachable"
        except VaultError:
            return "the portal's login is refused"
        return "ok"

    # -- Transit (audit checkpoints) --

    def sign(self, mount: str, key: str, data: bytes) -> str:
        """A Transit signature ("vault:v1:…") over `data`; the key never leaves Vault."""
        response = self._call(
            "",
            lambda c: c.secrets.transit.sign_data(
                name=key, hash_input=base64.b64encode(data).decode(), mount_point=mount
            ),
            what=f"sign with the Transit key {mount}/{key}",
        )
        return response["data"]["signature"]

    def verify_signature(self, mount: str, key: str, data: bytes, signature: str) -> bool:
        response = self._call(
            "",
            lambda c: c.secrets.transit.verify_signed_data(
                name=key, hash_input=base64.b64encode(data).decode(), signature=signature, mount_point=mount
            ),
            what=f"verify a signature with the Transit key {mount}/{key}",
        )
        return bool(response["data"]["valid"])


# --- the process-wide instance ------------------------------------------------------------------

_client: VaultClient | None = None
_client_lock = threading.Lock()


def get_client() -> VaultClient:
    """The worker's client, built on first use so nothing connects at import (pre-fork safe)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                verify: bool | str = settings.VAULT_CACERT or (not settings.VAULT_SKIP_VERIFY)
                _client = VaultClient(
                    settings.VAULT_ADDR,
                    role_id=settings.VAULT_ROLE_ID,
                    secret_id=settings.VAULT_SECRET_ID,
                    token=settings.VAULT_TOKEN,
                    namespace_approles=settings.VAULT_NAMESPACE_APPROLES,
                    approle_mount=settings.VAULT_APPROLE_MOUNT,
                    verify=verify,
                    cert=(settings.VAULT_CLIENT_CERT, settings.VAULT_CLIENT_KEY)
                    if settings.VAULT_CLIENT_CERT
                    else None,
                    timeout=settings.VAULT_TIMEOUT_SECONDS,
                    read_retries=settings.VAULT_READ_RETRIES,
                )
    return _client


def set_client(client: VaultClient | Any | None) -> VaultClient | None:
    """Replace the process-wide client (tests use a fake); returns the previous one."""
    global _client
    previous, _client = _client, client
    return previous


# --- health --------------------------------------------------------------------------------------


def health(timeout: float = 2.0) -> str:
    """ "ok", "standby", "sealed", … or "unreachable": Vault's state, for /healthz and the header."""
    return get_client().health(timeout=timeout)


def readiness(timeout: float = 2.0) -> str:
    """Vault's state and, when it is up, whether the portal can use it (for /readyz)."""
    state = health(timeout=timeout)
    return get_client().login_state() if state == "ok" else state
