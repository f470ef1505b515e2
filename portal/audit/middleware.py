from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from portal.audit import context


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address a trusted proxy saw when KEYDESK_TRUSTED_PROXY_COUNT is set, in
    its one spelling (context.normalise_ip)."""
    proxies = settings.KEYDESK_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return context.normalise_ip(forwarded[-proxies])
    return context.normalise_ip(request.META.get("REMOTE_ADDR"))


def _header_text(value: str) -> str:
    """A header as the client wrote it: WSGI hands headers over decoded as Latin-1 (PEP 3333), so
    a UTF-8 User-Agent such as "Zoë" arrives as "ZoÃ«" and would be recorded so."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value  # not Latin-1-decoded UTF-8: keep it as it came


class RequestContextMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and the source address for audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_context = context.RequestContext(
            source_ip=client_address(request),
            user_agent=_header_text(request.META.get("HTTP_USER_AGENT", ""))[:400],
        )
        request.request_id = request_context.request_id
        token = context.activate(request_context)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = str(request_context.request_id)
        return response
