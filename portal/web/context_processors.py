from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal import access
from portal.audit.models import AuditEvent
from portal.inventory.models import Device


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Which nav entries to show, decided by the policy here so templates never ask it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}, "htmx_static": settings.KEYDESK_HTMX_STATIC}
    return {
        "htmx_static": settings.KEYDESK_HTMX_STATIC,
        "nav": {
            "devices": access.may(user, "view", Device),
            "audit": access.may(user, "audit", AuditEvent),
            "admin": access.may(user, "manage", Device) or access.may(user, "audit", AuditEvent),
        },
    }
