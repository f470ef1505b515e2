"""The one answer to 'what may this user see or do'. Import from here."""

from portal.access.decorators import authenticated, public, requires
from portal.access.enforce import ensure_can, get_for_user_or_404, record_denial
from portal.access.policy import (
    ACTIONS,
    DEVICE_ACTIONS,
    can,
    covering_grants,
    group_names,
    justification_required,
    may,
    may_grant,
    permitted_actions,
    restrict,
    scope,
)

__all__ = [
    "ACTIONS",
    "DEVICE_ACTIONS",
    "authenticated",
    "can",
    "covering_grants",
    "ensure_can",
    "get_for_user_or_404",
    "group_names",
    "justification_required",
    "may",
    "may_grant",
    "permitted_actions",
    "public",
    "record_denial",
    "requires",
    "restrict",
    "scope",
]
