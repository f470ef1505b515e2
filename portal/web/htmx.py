"""Answering htmx and plain requests from the same view."""

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    # Boosted navigation wants the whole page, so only non-boosted htmx requests get fragments.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted
