"""The one way to write the audit trail: record(...), called explicitly by services."""

import json
import logging
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from portal.audit import chain, context
from portal.audit.models import AuditCheckpoint, AuditEvent, Outcome

# Keys that would suggest a caller is about to put a secret into the trail. Refused outright.
FORBIDDEN_DETAIL_KEYS = frozenset({"value", "values", "password", "secret", "secret_data", "data", "token"})


# Audit actions counted on the keydesk_secret_actions_total metric.
SECRET_ACTIONS = {
    "vault.secret.read": "reveal",
    "vault.secret.rotate": "rotate",
    "vault.secret.update": "update",
}


class AuditWriteFailed(Exception):
    """The audit event could not be stored; whatever depended on it must not happen."""


def _target_names(target: Any) -> dict[str, Any]:
    """Copy the tenant/device/credential names off a target so history outlives the rows."""
    names: dict[str, Any] = {}
    if target is None:
        return names
    names["target_type"] = target._meta.label_lower
    names["target_id"] = str(target.pk) if target.pk is not None else ""
    names["target_repr"] = str(target)[:300]
    credential = target if target._meta.label_lower == "inventory.credential" else None
    device = (
        credential.device
        if credential
        else (target if target._meta.label_lower == "inventory.device" else None)
    )
    tenant = device.tenant if device else (target if target._meta.label_lower == "inventory.tenant" else None)
    if tenant is None:
        tenant = getattr(target, "tenant", None)
    if credential:
        names["credential_name"] = credential.name
    if device:
        names["device_name"] = device.serial
        names["device_id"] = device.pk
    if tenant:
        names["tenant_name"] = tenant.name
    return names


def record(
    actor: Any,
    action: str,
    *,
    outcome: str = Outcome.SUCCESS,
    target: Any = None,
    actor_name: str | None = None,
    message: str = "",
    justification: str = "",
    ticket: str = "",
    version_before: int | None = None,
    version_after: int | None = None,
    vault_request_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event to the hash chain, in the caller's transaction. Never pass a secret value.

    Raises AuditWriteFailed if the row cannot be written, so the caller's change fails with it. The
    chain's head stays locked until the caller's transaction ends: keep audited transactions short.
    """
    detail = _json_safe(dict(detail or {}))
    before, after = _json_safe(before), _json_safe(after)
    leaked = FORBIDDEN_DETAIL_KEYS.intersection(key.lower() for key in detail)
    if leaked:
        raise ValueError(f"audit detail may not carry secret-looking keys: {sorted(leaked)}")
    request_context = context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if authenticated and getattr(actor, "pk", None) is not None else None,
        actor_name=(
            actor_name if actor_name is not None else (actor.get_username() if authenticated else "")
        )[:200],
        request_id=request_context.request_id,
        source_ip=request_context.source_ip,
        user_agent=request_context.user_agent,
        action=action,
        outcome=outcome,
        message=message[:500],
        justification=justification,
        ticket=ticket[:100],
        version_before=version_before,
        version_after=version_after,
        vault_request_id=vault_request_id or "",
        before=before,
        after=after,
        detail=detail,
        **_target_names(target),
    )
    try:
        with transaction.atomic():
            chain.append(event)
    except Exception as exc:
        raise AuditWriteFailed(f"the audit trail could not be written ({type(exc).__name__})") from exc
    transaction.on_commit(lambda: _emit_json_line(event))
    if action in SECRET_ACTIONS:
        from portal.web.metrics import SECRET_ACTIONS as counter

        transaction.on_commit(lambda: counter.labels(action=SECRET_ACTIONS[action], outcome=outcome).inc())
    return event


def _json_safe(value: Any) -> Any:
    """Dates, decimals and UUIDs as the strings JSON can hold (DjangoJSONEncoder's forms)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _emit_json_line(event: AuditEvent) -> None:
    """One JSON line per committed event on the SIEM logger."""
    logging.getLogger(settings.KEYDESK_AUDIT_LOGGER).info(
        json.dumps(
            {
                "id": event.pk,
                "time": event.time.isoformat(),
                "actor": event.actor_name,
                "request_id": str(event.request_id) if event.request_id else None,
                "source_ip": event.source_ip,
                "action": event.action,
                "outcome": event.outcome,
                "tenant": event.tenant_name,
                "device": event.device_name,
                "credential": event.credential_name,
                "target": event.target_repr,
                "version_before": event.version_before,
                "version_after": event.version_after,
                "vault_request_id": event.vault_request_id,
                "justification": event.justification,
                "ticket": event.ticket,
                "message": event.message,
                "detail": event.detail,
            },
            sort_keys=True,
            default=str,
        )
    )


def sign_checkpoint(actor: Any = None) -> AuditCheckpoint | None:
    """Sign "event N has hash H" for the chain's head with the Transit key, and store it. Audited."""
    from portal.vault import client as vault_client

    head = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    if head is None:
        return None
    checkpoint = AuditCheckpoint(
        sequence=head["sequence"], hash=head["hash"], key=settings.KEYDESK_AUDIT_TRANSIT_KEY
    )
    checkpoint.signature = vault_client.get_client().sign(
        settings.KEYDESK_AUDIT_TRANSIT_MOUNT, checkpoint.key, checkpoint.statement()
    )
    with transaction.atomic():
        checkpoint.save()
        record(
            actor,
            "audit.checkpoint",
            actor_name=None if actor else "system",
            detail={"sequence": checkpoint.sequence, "hash": checkpoint.hash, "key": checkpoint.key},
        )
    return checkpoint


def verify_chain(*, check_signatures: bool = True) -> chain.Verdict:
    """Walk the chain; with check_signatures, Vault verifies every checkpoint's signature too."""
    from portal.vault import client as vault_client

    def signature_is_valid(checkpoint: Any) -> bool:
        return vault_client.get_client().verify_signature(
            settings.KEYDESK_AUDIT_TRANSIT_MOUNT, checkpoint.key, checkpoint.statement(), checkpoint.signature
        )

    return chain.verify(signature_is_valid if check_signatures else None)
