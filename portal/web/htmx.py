"""Small helpers for answering htmx and plain requests from the same view."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_htmx.http import HttpResponseClientRedirect


def is_htmx(request: HttpRequest) -> bool:
    # Boosted navigation wants the whole page, so only non-boosted htmx requests get fragments.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def redirect_or_hx(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)
