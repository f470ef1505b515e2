"""Reveal and rotate device credentials: policy re-check, Vault call, audit — in the safe order.
Each kind of credential (KV v2, static role, certificate) is reached through one adapter interface.

Reveal: read, then commit the audit event, and only then hand the value back (fail closed).
Rotate: commit an `attempt` event, write with check-and-set, then record the outcome.
"""

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from portal import access
from portal.access import ensure_can
from portal.audit import services as audit
from portal.audit.models import Outcome
from portal.audit.services import AuditWriteFailed
from portal.inventory.models import Credential
from portal.vault import client
from portal.vault.client import SecretRef, VaultError, VaultNotFound

# Field names whose values are masked until "Show" (the rotating field always is); others, such as a
# username, are shown as they are.
SECRET_FIELD_NAME = re.compile(r"pass|secret|token|key|pin|private|cert|credential", re.IGNORECASE)
# Symbols that survive shells, YAML, INI files and URLs without quoting.
SAFE_SYMBOLS = "!#%+-.:=@^_~"
CHARSETS = {
    Credential.Charset.ALNUM: string.ascii_letters + string.digits,
    Credential.Charset.ALNUM_SYMBOLS: string.ascii_letters + string.digits + SAFE_SYMBOLS,
    Credential.Charset.HEX: "0123456789abcdef",
}
# Every class that must appear at least once, so generated values pass typical device rules.
REQUIRED_CLASSES = {
    Credential.Charset.ALNUM: (string.ascii_lowercase, string.ascii_uppercase, string.digits),
    Credential.Charset.ALNUM_SYMBOLS: (
        string.ascii_lowercase,
        string.ascii_uppercase,
        string.digits,
        SAFE_SYMBOLS,
    ),
    Credential.Charset.HEX: (),
}


def location(credential: Credential) -> str:
    """Where the credential lives, as OpenBao's own audit log names it."""
    if credential.is_static_role:
        return f"{credential.engine_path}/{credential.engine_role}"  # kept namespace-qualified on save
    return str(secret_ref(credential))


def secret_ref(credential: Credential) -> SecretRef:
    tenant = credential.device.tenant
    return SecretRef(namespace=tenant.vault_namespace, mount=tenant.kv_mount, path=credential.vault_path)


def generate_value(credential: Credential) -> str:
    """A fresh random value following the credential's length and character set."""
    alphabet = CHARSETS[credential.charset]
    required = REQUIRED_CLASSES[credential.charset]
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(credential.length))
        if all(any(char in group for char in value) for group in required):
            return value


class RotationNotRecorded(AuditWriteFailed):
    """Vault was changed but the outcome event could not be written (the attempt event was)."""


@dataclass(frozen=True)
class RevealedSecret:
    """What the reveal fragment shows: (name, value, masked, multi-line) per field. Never log or
    store them."""

    fields: list[tuple[str, str, bool, bool]] = field(repr=False)
    version: int
    created_time: str


@dataclass(frozen=True)
class Rotation:
    version_before: int | None
    version_after: int | None
    # Static roles have no versions: the engine set a new password at this time.
    rotated_at: str = ""


class NotForThisKind(VaultError):
    """The action does not exist for this kind of credential (e.g. typing a static role's password)."""

    status = 400


@dataclass(frozen=True)
class CredentialStatus:
    """Vault metadata shown on the device page (never values); `error` when Vault could not say."""

    version: int | None = None
    updated_time: datetime | None = None
    deleted: bool = False
    error: str = ""
    account: str = ""  # static roles: the managed account's name


def _record_failure(actor: Any, action: str, credential: Credential, exc: VaultError, **extra: Any) -> None:
    outcome = Outcome.DENIED if isinstance(exc, client.VaultConflict) else Outcome.ERROR
    audit.record(
        actor,
        action,
        outcome=outcome,
        target=credential,
        message=exc.message,
        vault_request_id=exc.request_id,
        detail={"path": location(credential), "error": type(exc).__name__},
        **extra,
    )


class JustificationMissing(ValueError):
    """The grant or tenant demands a ticket and a reason, and they were not given."""


def justification_needed(actor: Any, action: str, credential: Credential, version: int | None = None) -> bool:
    """Must `action` come with a ticket and a reason? Always for an older version (it is not what
    the device uses now), else when the grant or the tenant demands it. Views ask it to prompt,
    services to enforce."""
    return version is not None or access.justification_required(actor, action, credential.device)


def _require_justification(
    actor: Any,
    action: str,
    credential: Credential,
    justification: str,
    ticket: str,
    version: int | None = None,
) -> None:
    if justification_needed(actor, action, credential, version) and not (justification and ticket):
        access.record_denial(
            actor, action, Credential, status=400, target=credential, reason="justification missing"
        )
        if version is not None:
            raise JustificationMissing("Revealing an older version needs a ticket and a reason.")
        raise JustificationMissing("A ticket and a reason are required for this credential.")


def reveal_secret(
    actor: Any,
    credential: Credential,
    *,
    version: int | None = None,
    justification: str = "",
    ticket: str = "",
) -> RevealedSecret:
    """The current (or an older) value of a credential, returned only once its audit event is committed.

    An older version always needs a ticket and a reason: it is not what the device uses now.
    """
    ensure_can(actor, "reveal", credential)
    _require_justification(actor, "reveal", credential, justification, ticket, version)
    try:
        secret = adapter_for(credential).read(credential, version)
    except VaultError as exc:
        _record_failure(
            actor, "vault.secret.read", credential, exc, justification=justification, ticket=ticket
        )
        raise
    # durable: the event must be committed (not a savepoint) before the value leaves this function.
    with transaction.atomic(durable=True):
        audit.record(
            actor,
            "vault.secret.read",
            target=credential,
            justification=justification,
            ticket=ticket,
            version_before=secret.version or None,
            version_after=secret.version or None,
            vault_request_id=secret.request_id,
            detail={"path": location(credential), "fields": sorted(secret.data)},
        )
    return RevealedSecret(
        fields=[
            (
                key,
                str(value),
                key == credential.rotate_field or bool(SECRET_FIELD_NAME.search(key)),
                "\n" in str(value),
            )
            for key, value in sorted(secret.data.items())
        ],
        version=secret.version,
        created_time=secret.created_time,
    )


@sensitive_variables("new_value", "data", "current")
def _write_new_value(
    actor: Any,
    action: str,
    credential: Credential,
    new_value: str,
    *,
    expected_version: int | None,
    justification: str,
    ticket: str,
    missing_ok: bool = False,
) -> Rotation:
    """Read, record the attempt, write with check-and-set, record the outcome.

    expected_version: the version the engineer saw (update); None to take the one just read (rotate).
    """
    event = f"vault.secret.{action}"
    ref = secret_ref(credential)
    vault = client.get_client()
    context = {"justification": justification, "ticket": ticket}
    annotations: dict[str, str] = {}
    try:
        current = vault.read(ref)
        version_before, data = current.version, dict(current.data)
        annotations = dict(current.custom_metadata)
    except VaultNotFound as exc:
        if action == "rotate" and not missing_ok:
            # A rotation replaces one field of an existing secret; inventing the rest would leave a
            # half-made secret. Store a first value with "Set new value" (update) instead.
            missing = VaultNotFound(
                f"{exc.message} Nothing to rotate: store its first value with “Set new value”."
            )
            _record_failure(actor, event, credential, missing, **context)
            raise missing from None
        # Nothing stored yet: an update creates it (cas=0 fails if someone else did first).
        version_before, data = 0, {}
    except VaultError as exc:
        _record_failure(actor, event, credential, exc, **context)
        raise
    if expected_version is not None and expected_version != version_before:
        conflict = client.VaultConflict(
            f"The secret is now at version {version_before}, not {expected_version} as on your screen: someone "
            "changed it meanwhile. Reload the device, check, and try again."
        )
        _record_failure(actor, event, credential, conflict, version_before=version_before, **context)
        raise conflict
    if isinstance(new_value, dict):
        data = dict(new_value)  # a whole new bundle (PKI): nothing of the old one is kept
    else:
        data[credential.rotate_field] = new_value
    detail = {"path": str(ref), "field": "bundle" if isinstance(new_value, dict) else credential.rotate_field}
    with transaction.atomic(durable=True):
        audit.record(
            actor,
            event,
            outcome=Outcome.ATTEMPT,
            target=credential,
            version_before=version_before,
            detail=detail,
            **context,
        )
    try:
        result = vault.write(ref, data, cas=version_before)
    except VaultError as exc:
        _record_failure(actor, event, credential, exc, version_before=version_before, **context)
        raise
    finally:
        data.clear()
    try:
        with transaction.atomic(durable=True):
            audit.record(
                actor,
                event,
                target=credential,
                version_before=version_before,
                version_after=result.version,
                vault_request_id=result.request_id,
                detail=detail,
                **context,
            )
    except AuditWriteFailed as exc:
        raise RotationNotRecorded(
            f"The secret was changed in Vault (now version {result.version}) and the attempt is on the audit "
            "trail, but its outcome could not be recorded. Do not repeat it; tell the platform team."
        ) from exc
    # Vault's own UI and CLI then say who changed it, when and why (one more call; best effort: the
    # new version is written and audited even if this fails).
    _remember_version(credential, result.version, timezone.now())
    annotations.update(_annotation(actor, action, ticket))
    try:
        vault.annotate(ref, annotations)
    except VaultError as exc:
        _record_failure(actor, "vault.secret.annotate", credential, exc, version_after=result.version)
    return Rotation(version_before=version_before, version_after=result.version)


def _remember_version(credential: Credential, version: int, changed_at: Any) -> None:
    """Keep Keydesk's copy of the secret's version and change time (for "due for rotation").
    A change time Vault did not give (None) keeps the one known: reading a status must never make
    a credential look freshly changed."""
    changed_at = changed_at or credential.last_changed_at
    if (credential.vault_version, credential.last_changed_at) != (version, changed_at):
        Credential.objects.filter(pk=credential.pk).update(vault_version=version, last_changed_at=changed_at)
        credential.vault_version, credential.last_changed_at = version, changed_at


def _annotation(actor: Any, action: str, ticket: str) -> dict[str, str]:
    from portal.audit import context

    return {
        "keydesk_changed_by": getattr(actor, "username", "") or "system",
        "keydesk_changed_at": timezone.now().isoformat(timespec="seconds"),
        "keydesk_action": action,
        "keydesk_ticket": ticket or "-",
        "keydesk_request_id": str(context.current().request_id),
    }


def _new_value(credential: Credential) -> str:
    """From the credential's Vault password policy when it names one, else Keydesk's generator."""
    if credential.password_policy:
        tenant = credential.device.tenant
        return client.get_client().generate_password(tenant.vault_namespace, credential.password_policy)
    return generate_value(credential)


def _static(credential: Credential, method: str) -> Any:
    tenant = credential.device.tenant
    return getattr(client.get_client(), method)(
        tenant.vault_namespace, credential.kind, credential.engine_mount, credential.engine_role
    )


def _rotate_static(actor: Any, credential: Credential, *, justification: str, ticket: str) -> Rotation:
    """Ask the database or LDAP engine to set a new password now; no check-and-set needed, the
    engine serialises its own rotations. Attempt before, outcome after, as for KV."""
    context = {"justification": justification, "ticket": ticket}
    detail = {"engine": f"{credential.engine_mount}/{credential.engine_role}", "kind": credential.kind}
    with transaction.atomic(durable=True):
        audit.record(
            actor, "vault.secret.rotate", outcome=Outcome.ATTEMPT, target=credential, detail=detail, **context
        )
    try:
        request_id = _static(credential, "rotate_static_role")
        role = _static(credential, "static_role")
    except VaultError as exc:
        _record_failure(actor, "vault.secret.rotate", credential, exc, **context)
        raise
    rotated_at = str(role.get("last_vault_rotation", ""))
    with transaction.atomic(durable=True):
        audit.record(
            actor,
            "vault.secret.rotate",
            target=credential,
            vault_request_id=request_id,
            detail={**detail, "rotated_at": rotated_at},
            **context,
        )
    _remember_version(credential, 0, (parse_datetime(rotated_at) if rotated_at else None) or timezone.now())
    return Rotation(version_before=None, version_after=None, rotated_at=rotated_at)


def common_name(credential: Credential) -> str:
    return f"{credential.device.serial.lower()}.{settings.KEYDESK_PKI_DOMAIN}"


def _rotate_certificate(actor: Any, credential: Credential, *, justification: str, ticket: str) -> Rotation:
    """Issue a new device certificate from the PKI role and keep the bundle (certificate, key,
    chain) as a new KV version, with check-and-set like any rotation."""
    tenant = credential.device.tenant
    try:
        bundle = client.get_client().issue_certificate(
            tenant.vault_namespace, credential.engine_mount, credential.engine_role, common_name(credential)
        )
    except VaultError as exc:
        _record_failure(
            actor, "vault.secret.rotate", credential, exc, justification=justification, ticket=ticket
        )
        raise
    expires = bundle.get("expiration", "")  # ISO 8601
    try:
        rotation = _write_new_value(
            actor,
            "rotate",
            credential,
            bundle,
            expected_version=None,
            justification=justification,
            ticket=ticket,
            missing_ok=True,
        )
    finally:
        bundle.clear()
    expires_at = parse_datetime(expires) if expires else None
    if expires_at:
        Credential.objects.filter(pk=credential.pk).update(certificate_expires_at=expires_at)
        credential.certificate_expires_at = expires_at
    return rotation


# --- one adapter per kind of credential -------------------------------------------------------


class CredentialAdapter:
    """How one kind of credential is read, described and renewed in Vault.

    The services in this module own the policy checks, the audit events and their order (fail
    closed, attempt before outcome); an adapter only knows its secrets engine, through the gateway.
    """

    typed_values = False  # can an engineer store a value they typed (update)?
    has_history = False  # does Vault keep versions of it?

    def read(self, credential: Credential, version: int | None) -> client.SecretVersion:
        raise NotImplementedError

    def status(self, credential: Credential) -> CredentialStatus:
        raise NotImplementedError

    def rotate(self, actor: Any, credential: Credential, *, justification: str, ticket: str) -> Rotation:
        raise NotImplementedError


class KeyValueAdapter(CredentialAdapter):
    """A KV v2 secret: versions, check-and-set writes, custom metadata."""

    typed_values = True
    has_history = True

    def read(self, credential: Credential, version: int | None) -> client.SecretVersion:
        return client.get_client().read(secret_ref(credential), version=version)

    def status(self, credential: Credential) -> CredentialStatus:
        metadata = client.get_client().metadata(secret_ref(credential))
        updated = parse_datetime(metadata.updated_time) if metadata.updated_time else None
        _remember_version(credential, metadata.current_version, updated)
        return CredentialStatus(
            version=metadata.current_version, updated_time=updated, deleted=metadata.current_deleted
        )

    def rotate(self, actor: Any, credential: Credential, *, justification: str, ticket: str) -> Rotation:
        try:
            new_value = _new_value(credential)
        except VaultError as exc:
            _record_failure(
                actor, "vault.secret.rotate", credential, exc, justification=justification, ticket=ticket
            )
            raise
        return _write_new_value(
            actor,
            "rotate",
            credential,
            new_value,
            expected_version=None,
            justification=justification,
            ticket=ticket,
        )


class StaticRoleAdapter(CredentialAdapter):
    """An account managed by the database or LDAP engine (static role): no versions, the engine
    sets the password."""

    def read(self, credential: Credential, version: int | None) -> client.SecretVersion:
        if version is not None:
            raise NotForThisKind(
                "A static role has no older versions: its engine keeps only the current password."
            )
        return _static(credential, "static_credentials")

    def status(self, credential: Credential) -> CredentialStatus:
        role = _static(credential, "static_role")
        rotated_at = role.get("last_vault_rotation")
        rotated = parse_datetime(str(rotated_at)) if rotated_at else None
        _remember_version(credential, 0, rotated)
        return CredentialStatus(updated_time=rotated, account=str(role.get("username", "")))

    def rotate(self, actor: Any, credential: Credential, *, justification: str, ticket: str) -> Rotation:
        return _rotate_static(actor, credential, justification=justification, ticket=ticket)


class CertificateAdapter(KeyValueAdapter):
    """A device certificate from a PKI role, kept (with its key and chain) as KV versions."""

    typed_values = False

    def rotate(self, actor: Any, credential: Credential, *, justification: str, ticket: str) -> Rotation:
        return _rotate_certificate(actor, credential, justification=justification, ticket=ticket)


ADAPTERS: dict[str, CredentialAdapter] = {
    Credential.Kind.KV2: KeyValueAdapter(),
    Credential.Kind.DATABASE_STATIC: StaticRoleAdapter(),
    Credential.Kind.LDAP_STATIC: StaticRoleAdapter(),
    Credential.Kind.PKI: CertificateAdapter(),
}


def adapter_for(credential: Credential) -> CredentialAdapter:
    return ADAPTERS[credential.kind]


def rotate_secret(
    actor: Any, credential: Credential, *, justification: str = "", ticket: str = ""
) -> Rotation:
    """Renew the credential the way its kind does (see the adapters): a generated value written with
    check-and-set, a static role rotated by its engine, or a newly issued certificate."""
    ensure_can(actor, "rotate", credential)
    _require_justification(actor, "rotate", credential, justification, ticket)
    return adapter_for(credential).rotate(actor, credential, justification=justification, ticket=ticket)


@sensitive_variables("value")
def update_secret(
    actor: Any,
    credential: Credential,
    value: str,
    *,
    expected_version: int,
    justification: str = "",
    ticket: str = "",
) -> Rotation:
    """Store a value the engineer typed (after an on-site change) as a new version, with
    check-and-set against the version they saw, so a rotation meanwhile is never overwritten."""
    ensure_can(actor, "update", credential)
    _require_typed_values(credential)
    _require_justification(actor, "update", credential, justification, ticket)
    return _write_new_value(
        actor,
        "update",
        credential,
        value,
        expected_version=expected_version,
        justification=justification,
        ticket=ticket,
    )


def _require_typed_values(credential: Credential) -> None:
    """Only credentials whose value people type (KV) can be updated by hand."""
    if not adapter_for(credential).typed_values:
        raise NotForThisKind(
            f"A {credential.get_kind_display().lower()} is set by its secrets engine: use Rotate."
        )


def history(actor: Any, credential: Credential) -> client.SecretMetadata:
    """The credential's versions (numbers, times, deleted or destroyed) — never values."""
    ensure_can(actor, "view", credential)
    if not adapter_for(credential).has_history:
        raise NotForThisKind(
            "A static role has no version history: its engine keeps only the current password."
        )
    try:
        return client.get_client().metadata(secret_ref(credential))
    except VaultError as exc:
        if not isinstance(exc, VaultNotFound):
            _record_failure(actor, "vault.secret.metadata", credential, exc)
        raise


def current_version(actor: Any, credential: Credential) -> int:
    """The version an update form should expect (0 when nothing is stored yet)."""
    ensure_can(actor, "update", credential)
    _require_typed_values(credential)
    try:
        return client.get_client().metadata(secret_ref(credential)).current_version
    except VaultNotFound:
        return 0


def credential_status(actor: Any, credential: Credential) -> CredentialStatus:
    """Current version and last update of a credential, or a readable error; never raises VaultError."""
    try:
        return adapter_for(credential).status(credential)
    except VaultNotFound:
        return CredentialStatus(error="Not yet stored in Vault.")
    except VaultError as exc:
        _record_failure(actor, "vault.secret.metadata", credential, exc)
        return CredentialStatus(error=exc.message)


def store_initial_value(credential: Credential, data: dict[str, str], *, actor: Any = None) -> int:
    """Seed a credential that does not exist in Vault yet (demo data, onboarding). Returns the version."""
    ref = secret_ref(credential)
    result = client.get_client().write(ref, data, cas=0)
    _remember_version(credential, result.version, timezone.now())
    audit.record(
        actor,
        "vault.secret.create",
        target=credential,
        actor_name=None if actor else "system",
        version_after=result.version,
        vault_request_id=result.request_id,
        detail={"path": str(ref)},
    )
    return result.version
