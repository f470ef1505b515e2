"""Reveal and rotate device credentials: policy re-check, Vault call, audit — in the safe order.

Reveal: read, then commit the audit event, and only then hand the value back (fail closed).
Rotate: commit an `attempt` event, write with check-and-set, then record the outcome.
"""

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from portal.access import ensure_can
from portal.audit import services as audit
from portal.audit.models import Outcome
from portal.audit.services import AuditWriteFailed
from portal.inventory.models import Credential
from portal.vault import client
from portal.vault.client import SecretRef, VaultError, VaultNotFound

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
    """What the reveal fragment shows. `fields` are secret values: never log or store them."""

    fields: list[tuple[str, str]] = field(repr=False)
    version: int
    created_time: str


@dataclass(frozen=True)
class Rotation:
    version_before: int
    version_after: int


@dataclass(frozen=True)
class CredentialStatus:
    """Vault metadata shown on the device page (never values); `error` when Vault could not say."""

    version: int | None = None
    updated_time: datetime | None = None
    deleted: bool = False
    error: str = ""


def _record_failure(actor: Any, action: str, credential: Credential, exc: VaultError, **extra: Any) -> None:
    outcome = Outcome.DENIED if isinstance(exc, client.VaultConflict) else Outcome.ERROR
    audit.record(
        actor,
        action,
        outcome=outcome,
        target=credential,
        message=exc.message,
        vault_request_id=exc.request_id,
        detail={"path": str(secret_ref(credential)), "error": type(exc).__name__},
        **extra,
    )


def reveal_secret(
    actor: Any, credential: Credential, *, justification: str = "", ticket: str = ""
) -> RevealedSecret:
    """The current value of a credential, returned only once its audit event is committed."""
    ensure_can(actor, "reveal", credential)
    ref = secret_ref(credential)
    try:
        secret = client.get_client().read(ref)
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
            version_before=secret.version,
            version_after=secret.version,
            vault_request_id=secret.request_id,
            detail={"path": str(ref), "fields": sorted(secret.data)},
        )
    return RevealedSecret(
        fields=[(key, str(value)) for key, value in sorted(secret.data.items())],
        version=secret.version,
        created_time=secret.created_time,
    )


def rotate_secret(
    actor: Any, credential: Credential, *, justification: str = "", ticket: str = ""
) -> Rotation:
    """Replace the credential's rotating field with a generated value, using check-and-set."""
    ensure_can(actor, "rotate", credential)
    ref = secret_ref(credential)
    vault = client.get_client()
    try:
        current = vault.read(ref)
        version_before, data = current.version, dict(current.data)
    except VaultNotFound:
        # Nothing stored yet: the first rotation creates it (cas=0 fails if someone else did first).
        version_before, data = 0, {}
    except VaultError as exc:
        _record_failure(
            actor, "vault.secret.rotate", credential, exc, justification=justification, ticket=ticket
        )
        raise
    data[credential.rotate_field] = generate_value(credential)
    with transaction.atomic(durable=True):
        audit.record(
            actor,
            "vault.secret.rotate",
            outcome=Outcome.ATTEMPT,
            target=credential,
            justification=justification,
            ticket=ticket,
            version_before=version_before,
            detail={"path": str(ref), "field": credential.rotate_field},
        )
    try:
        result = vault.write(ref, data, cas=version_before)
    except VaultError as exc:
        _record_failure(
            actor,
            "vault.secret.rotate",
            credential,
            exc,
            justification=justification,
            ticket=ticket,
            version_before=version_before,
        )
        raise
    finally:
        data.clear()
    try:
        with transaction.atomic(durable=True):
            audit.record(
                actor,
                "vault.secret.rotate",
                target=credential,
                justification=justification,
                ticket=ticket,
                version_before=version_before,
                version_after=result.version,
                vault_request_id=result.request_id,
                detail={"path": str(ref), "field": credential.rotate_field},
            )
    except AuditWriteFailed as exc:
        raise RotationNotRecorded(
            f"The secret was rotated in Vault (now version {result.version}) and the attempt is on the audit "
            "trail, but its outcome could not be recorded. Do not rotate again; tell the platform team."
        ) from exc
    return Rotation(version_before=version_before, version_after=result.version)


def credential_status(actor: Any, credential: Credential) -> CredentialStatus:
    """Current version and last update of a credential, or a readable error; never raises VaultError."""
    ref = secret_ref(credential)
    try:
        metadata = client.get_client().metadata(ref)
    except VaultNotFound:
        return CredentialStatus(error="Not yet stored in Vault.")
    except VaultError as exc:
        _record_failure(actor, "vault.secret.metadata", credential, exc)
        return CredentialStatus(error=exc.message)
    return CredentialStatus(
        version=metadata.current_version,
        updated_time=parse_datetime(metadata.updated_time) if metadata.updated_time else None,
        deleted=metadata.current_deleted,
    )


def store_initial_value(credential: Credential, data: dict[str, str], *, actor: Any = None) -> int:
    """Seed a credential that does not exist in Vault yet (demo data, onboarding). Returns the version."""
    ref = secret_ref(credential)
    result = client.get_client().write(ref, data, cas=0)
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
