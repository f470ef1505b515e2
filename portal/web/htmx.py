"""Answering htmx and plain requests from the same view."""

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    # Boosted navigation wants the whole page, so only non-boosted htmx requests get fragments.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def current_page(request: HttpRequest) -> str:
    """The path of the page an htmx request came from (HX-Current-URL), else this request's path."""
    htmx = getattr(request, "htmx", None)
    path = htmx.current_url_abs_path if htmx else None
    return path or request.get_full_path()
