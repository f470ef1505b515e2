"""Enforcement points that turn a 'no' from the policy into 404/403, and put it on record."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from portal.access.policy import can, restrict


def record_denial(
    user: Any, action: str, model: type[Model], *, status: int, target: Any = None, **detail: Any
) -> None:
    """Audit a refused request. The trail must show attempts at things a user could not see."""
    from portal.audit import services as audit
    from portal.audit.models import Outcome

    audit.record(
        user,
        "access.denied",
        outcome=Outcome.DENIED,
        target=target,
        message=f"{action} on {model._meta.verbose_name} refused ({status})",
        detail={"requested_action": action, "model": model._meta.label_lower, "status": status, **detail},
    )


def get_for_user_or_404(user: Any, action: str, model: type[Model], **lookup: Any) -> Any:
    """The object, if the user may `action` it. Out of view scope: 404. In scope, no right: 403.

    Both refusals are audited, naming the real object when there is one, for the auditors.
    """
    obj = restrict(user, "view", model).filter(**lookup).first()
    if obj is None:
        # 404 rather than 403: don't reveal that the object exists to people outside its tenant.
        existing = model._default_manager.filter(**lookup).first()
        record_denial(
            user, action, model, status=404, target=existing, lookup={k: str(v) for k, v in lookup.items()}
        )
        raise Http404(f"No {model._meta.verbose_name} found.")
    if action != "view" and not can(user, action, obj):
        record_denial(user, action, model, status=403, target=obj)
        raise PermissionDenied(f"You may not {action} this {model._meta.verbose_name}.")
    return obj


def ensure_can(user: Any, action: str, obj: Model) -> None:
    """Service-level re-check (services are also reached from commands and jobs)."""
    if not can(user, action, obj):
        record_denial(user, action, type(obj), status=403, target=obj, checked_by="service")
        raise PermissionDenied(f"You may not {action} this {obj._meta.verbose_name}.")
