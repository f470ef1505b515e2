"""Signing in and out, with every outcome on the audit trail (never the password)."""

from django.contrib import auth
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from portal.accounts.backends import DirectoryUnavailable, is_plausible_login_name
from portal.accounts.models import User, normalize_login_name
from portal.audit import services as audit
from portal.audit.models import Outcome


class LoginFailed(Exception):
    """Wrong name or password. The message is deliberately the same for both."""


@sensitive_variables("password")
def sign_in(request: HttpRequest, username: str, password: str) -> User:
    """Authenticate against the directory and start a session (new session id). Audited."""
    login_name = normalize_login_name(username)
    # A name that cannot be a login is recorded in a safe, shortened form.
    recorded_name = login_name[:64] if is_plausible_login_name(login_name) else repr(login_name[:64])
    try:
        user = auth.authenticate(request, username=login_name, password=password)
    except DirectoryUnavailable as exc:
        audit.record(
            None, "accounts.login.error", outcome=Outcome.ERROR, actor_name=recorded_name, message=str(exc)
        )
        raise
    if user is None or not user.is_active:
        audit.record(
            None,
            "accounts.login.failed",
            outcome=Outcome.DENIED,
            actor_name=recorded_name,
            message="Wrong login name or password, or account disabled.",
        )
        raise LoginFailed("That login name and password do not match a directory account.")
    auth.login(request, user)
    audit.record(
        user, "accounts.login", detail={"groups": sorted(user.groups.values_list("name", flat=True))}
    )
    return user


def sign_out(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        audit.record(user, "accounts.logout")
    auth.logout(request)
