import time
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from portal import access
from portal.audit.models import AuditEvent
from portal.inventory.models import Device
from portal.vault.client import health as vault_health


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Which nav entries to show, decided by the policy here so templates never ask it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}, "htmx_static": settings.KEYDESK_HTMX_STATIC}
    return {
        "htmx_static": settings.KEYDESK_HTMX_STATIC,
        "vault_state": _vault_state(),
        "nav": {
            "devices": access.may(user, "view", Device),
            "audit": access.may(user, "audit", AuditEvent),
            "admin": admin.site.has_permission(request),  # the admin site's own rule
        },
    }


_VAULT_STATE: dict[str, float | str] = {"checked": 0.0, "state": "ok"}
VAULT_STATE_SECONDS = 15


def _vault_state() -> str:
    """Vault's state for the page header, asked at most every 15 s per worker (no call per page)."""
    now = time.monotonic()
    if now - float(_VAULT_STATE["checked"]) > VAULT_STATE_SECONDS:
        _VAULT_STATE.update(checked=now, state=vault_health(timeout=1.0))
    return str(_VAULT_STATE["state"])
