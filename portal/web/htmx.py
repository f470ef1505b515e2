"""Answering htmx and plain requests from the same view."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


def is_htmx(request: HttpRequest) -> bool:
    # Boosted navigation wants the whole page, so only non-boosted htmx requests get fragments.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def current_page(request: HttpRequest) -> str:
    """The path of the page an htmx request came from (HX-Current-URL), else this request's path."""
    htmx = getattr(request, "htmx", None)
    path = htmx.current_url_abs_path if htmx else None
    return path or request.get_full_path()


def login_redirect(request: HttpRequest) -> HttpResponse:
    """To the sign-in page and back afterwards, as a full page even from htmx: a login form
    swapped into a fragment would be useless. htmx comes back to the page it was on, not to the
    fragment URL it called."""
    if is_htmx(request):
        return HttpResponseClientRedirect(redirect_to_login(current_page(request))["Location"])
    return redirect_to_login(request.get_full_path())
