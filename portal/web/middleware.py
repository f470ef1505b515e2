from collections.abc import Callable

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from portal.web.htmx import login_redirect


class HtmxAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Private by default. An expired session seen by htmx reloads the whole page into the login
    form (and back to the page afterwards) instead of swapping a login page into a fragment."""

    def handle_no_permission(self, request: HttpRequest, view_func: Callable) -> HttpResponse:
        return login_redirect(request)


class VaryOnHtmxMiddleware:
    """Every page can come back whole or as an htmx fragment, so caches must key on HX-Request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        return response


class RefuseNulBytesMiddleware:
    """No field of this portal can hold a NUL byte, and PostgreSQL refuses one in any string, so a
    query string or form carrying one is a 400 here rather than a 500 from whichever lookup (an
    admin list filter, say) passes it to the database first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forms = [request.GET]
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            forms.append(request.POST)
        for form in forms:
            for name, values in form.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    raise SuspiciousOperation("A NUL byte in the request's parameters.")
        return self.get_response(request)
