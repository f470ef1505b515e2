"""Keyset pagination for the audit trail: "older than the last row on this page", never OFFSET and
never COUNT(*), so the 20,000th page of a million events costs what the first one does."""

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

# Sort choices offered on the audit page → the index-backed ordering behind each one. Every
# ordering ends on the chain sequence, which is unique, so the order is total.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "-time": ("-sequence",),
    "time": ("sequence",),
    **{
        f"{direction}{name}": (f"{direction}{name}", f"{direction}sequence")
        for name in ("actor_name", "action", "outcome", "tenant_name", "device_name")
        for direction in ("", "-")
    },
}
DEFAULT_SORT = "-time"
_SALT = "keydesk.audit.cursor"


class BadCursor(ValueError):
    """The page link was altered or belongs to another sort order."""


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    is_first: bool


def _after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (all fields sort in the same direction)."""
    descending = ordering[0].startswith("-")
    names = [field.lstrip("-") for field in ordering]
    lookup = "lt" if descending else "gt"
    condition = Q(**{f"{names[-1]}__{lookup}": values[-1]})
    for index in range(len(names) - 2, -1, -1):
        condition = Q(**{f"{names[index]}__{lookup}": values[index]}) | (
            Q(**{names[index]: values[index]}) & condition
        )
    return condition


def page(queryset: QuerySet, sort: str, cursor: str | None, per_page: int) -> KeysetPage:
    ordering = ORDERINGS.get(sort, ORDERINGS[DEFAULT_SORT])
    queryset = queryset.order_by(*ordering)
    if cursor:
        try:
            token = signing.loads(cursor, salt=_SALT)
        except signing.BadSignature:
            raise BadCursor("This page link is not valid any more; showing the newest events.") from None
        if (
            not isinstance(token, dict)
            or token.get("sort") != sort
            or len(token.get("values", [])) != len(ordering)
        ):
            raise BadCursor("This page link is not valid any more; showing the newest events.")
        queryset = queryset.filter(_after(ordering, token["values"]))
    rows = list(queryset[: per_page + 1])
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        values = [getattr(last, field.lstrip("-")) for field in ordering]
        next_cursor = signing.dumps({"sort": sort, "values": values}, salt=_SALT, compress=True)
    return KeysetPage(rows=rows, next_cursor=next_cursor, is_first=not cursor)
