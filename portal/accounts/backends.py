"""The one seam to the directory: Keydesk's django-auth-ldap backend.

It normalises login names (one account per person whatever the case or spacing), refuses names
that are not plausible directory login names before any LDAP traffic, and turns the library's
swallowed LDAP errors into DirectoryUnavailable so the login page can say "the directory is down"
instead of "wrong password".
"""

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import Any

import ldap
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django_auth_ldap.backend import LDAPBackend, ldap_error, populate_user

from portal.accounts.models import User, normalize_login_name

# Directory login names: letters, digits, dot, dash, underscore. Anything else (filter
# metacharacters, DN syntax, control characters) cannot be a login name and is refused unsent.
LOGIN_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

_captured_errors: contextvars.ContextVar[list[Exception] | None] = contextvars.ContextVar(
    "keydesk_ldap_errors", default=None
)


class DirectoryUnavailable(Exception):
    """The LDAP directory could not be reached or answered with an error (not a wrong password)."""


def _capture_ldap_error(sender: Any, context: str, exception: Exception, **kwargs: Any) -> None:
    errors = _captured_errors.get()
    if errors is not None:
        errors.append(exception)


ldap_error.connect(_capture_ldap_error, dispatch_uid="keydesk-capture-ldap-error")


def _remember_directory_dn(sender: Any, user: User, ldap_user: Any, **kwargs: Any) -> None:
    # Sent by django-auth-ldap just before it saves a user it populated from the directory.
    user.directory_dn = ldap_user.dn or ""


populate_user.connect(_remember_directory_dn, dispatch_uid="keydesk-remember-directory-dn")


def is_plausible_login_name(name: str) -> bool:
    return bool(LOGIN_NAME_PATTERN.fullmatch(normalize_login_name(name)))


@contextlib.contextmanager
def _directory_call(operation: str) -> Iterator[list[Exception]]:
    """Time one directory operation and collect the LDAP errors django-auth-ldap would otherwise
    only log (it answers None for "unreachable" as for "no such user"), for the caller to tell
    the two apart."""
    from portal.web.metrics import LDAP_SECONDS, timed

    errors: list[Exception] = []
    token = _captured_errors.set(errors)
    try:
        with timed(LDAP_SECONDS, operation):
            yield errors
    finally:
        _captured_errors.reset(token)


class KeydeskLDAPBackend(LDAPBackend):
    """django-auth-ldap with normalised names and directory errors surfaced, not swallowed."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or not password:
            return None
        username = normalize_login_name(username)
        if not LOGIN_NAME_PATTERN.fullmatch(username):
            return None
        with _directory_call("authenticate") as errors:
            user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and errors:
            raise DirectoryUnavailable(_describe(errors[0]))
        return user

    def refresh(self, user: User) -> bool:
        """Re-read the user's entry and groups with the service account, mirroring group changes.

        Returns False when the account is gone or disabled (filtered out by the user search); raises
        DirectoryUnavailable when the directory cannot say.
        """
        with _directory_call("refresh") as errors:
            refreshed = self.populate_user(user.username)
        if refreshed is None:
            if errors:
                raise DirectoryUnavailable(_describe(errors[0]))
            return False
        return True

    def ldap_to_django_username(self, username: str) -> str:
        return normalize_login_name(username)

    def django_to_ldap_username(self, username: str) -> str:
        return normalize_login_name(username)


def _describe(error: Exception) -> str:
    if isinstance(error, ldap.SERVER_DOWN | ldap.TIMEOUT | ldap.CONNECT_ERROR):
        return "The directory (LDAP) cannot be reached."
    if isinstance(error, ldap.INVALID_CREDENTIALS):
        # The user's own wrong password is not reported as an error by the library; this is the
        # portal's service bind failing, which is a configuration problem.
        return "The portal's directory service account was refused by LDAP."
    return f"The directory (LDAP) answered with an error: {type(error).__name__}."


class LocalAccountBackend(ModelBackend):
    """Passwords kept in Keydesk's database, for break-glass accounts made with createsuperuser only.

    An account that came from the directory never signs in with a local password, whoever set one.
    """

    def user_can_authenticate(self, user: User) -> bool:
        return super().user_can_authenticate(user) and not user.directory_dn


def directory_health(timeout: float = 2.0) -> str:
    """ "ok" when the service account can bind to the directory, else what went wrong."""
    from django.conf import settings

    connection = None
    try:
        # Inside the try: a malformed URI fails here, and a health check must answer, not raise.
        connection = ldap.initialize(settings.AUTH_LDAP_SERVER_URI)
        connection.set_option(ldap.OPT_NETWORK_TIMEOUT, timeout)
        connection.set_option(ldap.OPT_TIMEOUT, timeout)
        if settings.AUTH_LDAP_START_TLS:
            connection.start_tls_s()
        connection.simple_bind_s(settings.AUTH_LDAP_BIND_DN, settings.AUTH_LDAP_BIND_PASSWORD)
        return "ok"
    except ldap.INVALID_CREDENTIALS:
        return "service account refused"
    except ldap.LDAPError:
        return "unreachable"
    finally:
        if connection is not None:
            connection.unbind_s()
