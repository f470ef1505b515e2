from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from portal.accounts import services
from portal.accounts.backends import DirectoryUnavailable
from portal.web.htmx import login_redirect


def to_login(request: HttpRequest, message: str) -> HttpResponse:
    """Send the browser to the sign-in page with a message, as a full page even from htmx."""
    messages.warning(request, message)
    return login_redirect(request)


class DirectoryRecheckMiddleware:
    """Ends sessions that are too old or idle too long, or whose account was deactivated; and every
    KEYDESK_DIRECTORY_RECHECK_SECONDS re-reads a signed-in user's account from LDAP, so a removal
    from a group or a disabled account takes effect even in an open session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = services.session_expiry(request)
            if expired:
                services.end_expired_session(request, expired)
                return to_login(request, expired)
        if user is not None and user.is_authenticated and not user.is_active:
            logout(request)
            return to_login(request, "Your Keydesk account was deactivated by an admin.")
        if user is not None and user.is_authenticated and user.from_directory:
            if services.directory_check_is_due(request):
                try:
                    services.recheck_directory(request)
                except services.AccessRevoked as exc:
                    return to_login(request, str(exc))
                except DirectoryUnavailable as exc:
                    # Fail closed: without the directory we cannot tell whether access still holds.
                    logout(request)
                    return to_login(
                        request, f"{exc} Keydesk cannot confirm your access, so you were signed out."
                    )
        return self.get_response(request)
