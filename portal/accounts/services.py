"""Signing in and out, step-up re-authentication and directory re-checks, each on the audit trail
(never a password)."""

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import now as timezone_now
from django.views.decorators.debug import sensitive_variables

from portal.access.policy import forget_cached_access
from portal.accounts.backends import DirectoryUnavailable, KeydeskLDAPBackend, is_plausible_login_name
from portal.accounts.models import LoginLockout, User, normalize_login_name
from portal.audit import services as audit
from portal.audit.models import Outcome

# Session keys: when the password was last entered, and when the directory last confirmed the account.
AUTHENTICATED_AT = "keydesk.authenticated_at"
DIRECTORY_CHECKED_AT = "keydesk.directory_checked_at"
STEP_UP_FAILURES = "keydesk.step_up_failures"
SIGNED_IN_AT = "keydesk.signed_in_at"
LAST_SEEN_AT = "keydesk.last_seen_at"
# The idle clock is written to the session at most this often (not on every request), and more
# often under a short idle timeout: see last_seen_resolution().
LAST_SEEN_RESOLUTION = 60
# Wrong passwords at the step-up prompt before the session is ended (a stolen session must not be
# able to guess its owner's password).
MAX_STEP_UP_FAILURES = 5
# Form fields that are carried through the step-up prompt and re-sent with the resumed action.
# Never a secret value: an engineer who was typing a new value types it again.
CARRIED_FIELDS = ("ticket", "reason", "expected_version", "version")
MAX_CARRIED_VALUE_CHARS = 1000
# The prompt's own JSON of those fields is under 25,000 characters even with every character
# \u-escaped; anything longer did not come from it, and is not parsed at all.
MAX_CARRY_CHARS = 32 * 1024


class LoginFailed(Exception):
    """Wrong name or password. The message is deliberately the same for both."""


class LoginLocked(Exception):
    """Too many failed sign-ins for this name or from this address."""


def _lock_keys(login_name: str) -> list[tuple[str, str, int]]:
    from portal.audit.context import current

    keys = [(LoginLockout.Kind.USER, login_name[:200], settings.KEYDESK_LOGIN_MAX_FAILURES)]
    address = current().source_ip
    if address:
        keys.append((LoginLockout.Kind.ADDRESS, address, settings.KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS))
    return keys


def _locked_until(login_name: str):  # noqa: ANN202 - datetime | None
    from django.utils import timezone

    now = timezone.now()
    keys = _lock_keys(login_name)
    query = Q(pk__in=[])
    for kind, key, _ in keys:
        query |= Q(kind=kind, key=key)
    lock = LoginLockout.objects.filter(query, locked_until__gt=now).order_by("-locked_until").first()
    return lock.locked_until if lock else None


def _count_failure(login_name: str) -> None:
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now()
    window = timezone.timedelta(seconds=settings.KEYDESK_LOGIN_WINDOW_SECONDS)
    with transaction.atomic():
        for kind, key, limit in _lock_keys(login_name):
            lock, _ = LoginLockout.objects.select_for_update().get_or_create(
                kind=kind, key=key, defaults={"window_started": now}
            )
            if now - lock.window_started > window:
                lock.failures, lock.window_started = 0, now
            lock.failures += 1
            if lock.failures >= limit:
                lock.locked_until = now + timezone.timedelta(seconds=settings.KEYDESK_LOGIN_LOCKOUT_SECONDS)
                audit.record(
                    None,
                    "accounts.login.locked",
                    outcome=Outcome.DENIED,
                    actor_name=login_name[:64],
                    message=f"{lock.failures} failed sign-ins for {lock}: locked until {lock.locked_until:%H:%M} UTC.",
                    detail={"kind": kind, "key": key},
                )
            lock.save()


def local_path(request: HttpRequest, target: str) -> str | None:
    """`target` if it is a path on this site (for ?next= and step-up resumes), else None.

    Other hosts and schemes are refused by url_has_allowed_host_and_scheme; relative values
    ("foo", "../x", "?a=b") and URL names are refused too: they are not paths, and redirect()
    would try to reverse them.
    """
    if not target.startswith("/"):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


class InvalidCarry(ValueError):
    """The form data carried through the step-up prompt is not what the prompt sent."""


def keep_carried(data: Mapping[str, Any]) -> dict[str, str]:
    """Only the known carried fields, with short text values; the rest is dropped."""
    return {
        name: value
        for name, value in data.items()
        if name in CARRIED_FIELDS and isinstance(value, str) and len(value) <= MAX_CARRIED_VALUE_CHARS
    }


def parse_carry(raw: str) -> dict[str, str]:
    """The carried fields sent back by the step-up prompt (empty: none). Raises InvalidCarry for
    anything the prompt cannot have sent: too long, not JSON, nested too deep, not an object."""
    if not raw:
        return {}
    problem = "The form data could not be carried through the password prompt"
    if len(raw) > MAX_CARRY_CHARS:
        raise InvalidCarry(f"{problem} (too long). Reload the page and start the action again.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidCarry(
            f"{problem} (not valid JSON). Reload the page and start the action again."
        ) from None
    if not isinstance(data, dict):
        raise InvalidCarry(f"{problem} (not a JSON object). Reload the page and start the action again.")
    return keep_carried(data)


def lockouts(*, address: str | None = None, login_name: str | None = None) -> QuerySet[LoginLockout]:
    """The failed sign-in counters (locks first), all or those of one source address or login name."""
    rows = LoginLockout.objects.order_by(F("locked_until").desc(nulls_last=True), "kind", "key")
    if address is not None:
        rows = rows.filter(kind=LoginLockout.Kind.ADDRESS, key=address)
    if login_name is not None:
        rows = rows.filter(kind=LoginLockout.Kind.USER, key=normalize_login_name(login_name)[:200])
    return rows


def unlock(actor: Any, locks: Iterable[LoginLockout], *, actor_name: str | None = None) -> int:
    """Lift locks and reset their counters before they run out, one audit event each. For the
    admin's Unlock action and `manage.py signins unlock`, which works when nobody can sign in."""
    from django.db import transaction

    count = 0
    for lock in locks:
        detail = {"kind": lock.kind, "key": lock.key, "failures": lock.failures}
        with transaction.atomic():
            lock.delete()  # the change first, its record last (the chain's lock is taken last)
            audit.record(
                actor,
                "accounts.login.unlock",
                actor_name=actor_name,
                message=f"Unlocked {lock}.",
                detail=detail,
            )
        count += 1
    return count


class AccessRevoked(Exception):
    """The directory no longer knows this account as active: the session has been ended."""


def mark_authenticated(request: HttpRequest) -> None:
    now = time.time()
    request.session[AUTHENTICATED_AT] = now
    request.session[DIRECTORY_CHECKED_AT] = now
    request.session.setdefault(SIGNED_IN_AT, now)
    request.session[LAST_SEEN_AT] = now


def session_expiry(request: HttpRequest) -> str:
    """Why this session is over ("" while it is not): too old, or idle too long."""
    now = time.time()
    if now - (request.session.get(SIGNED_IN_AT) or now) > settings.KEYDESK_SESSION_MAX_AGE_SECONDS:
        return "Your session reached its maximum length; sign in again."
    last_seen = request.session.get(LAST_SEEN_AT) or now
    if now - last_seen > settings.KEYDESK_SESSION_IDLE_SECONDS:
        return "You were signed out after a period without activity; sign in again."
    if now - last_seen > last_seen_resolution():
        request.session[LAST_SEEN_AT] = now
    return ""


def last_seen_resolution() -> float:
    """How stale the stored idle clock may get: a minute, or a quarter of the idle timeout if less.

    The stored time lags the last request by up to this much, so an active user is signed out only
    after a pause of more than three quarters of the timeout, never while busy.
    """
    return min(LAST_SEEN_RESOLUTION, settings.KEYDESK_SESSION_IDLE_SECONDS / 4)


def end_expired_session(request: HttpRequest, reason: str) -> None:
    audit.record(request.user, "accounts.session.expired", outcome=Outcome.DENIED, message=reason)
    auth.logout(request)


def step_up_is_fresh(request: HttpRequest) -> bool:
    authenticated_at = request.session.get(AUTHENTICATED_AT) or 0
    return time.time() - authenticated_at <= settings.KEYDESK_STEP_UP_SECONDS


def directory_check_is_due(request: HttpRequest) -> bool:
    checked_at = request.session.get(DIRECTORY_CHECKED_AT) or 0
    return time.time() - checked_at > settings.KEYDESK_DIRECTORY_RECHECK_SECONDS


def recheck_directory(request: HttpRequest) -> None:
    """Re-read the signed-in user's account and groups from the directory now.

    Local accounts are not in the directory and pass. A removed or disabled account loses its
    mirrored groups, its session is ended and AccessRevoked is raised. If the directory cannot be
    reached, DirectoryUnavailable is raised: callers deny (fail closed).
    """
    user = request.user
    if not user.is_authenticated or not user.from_directory:
        return
    if getattr(request, "_keydesk_directory_rechecked", False):
        return  # already re-read in this request (the middleware's periodic check, say)
    try:
        still_active = KeydeskLDAPBackend().refresh(user)
    except DirectoryUnavailable as exc:
        audit.record(user, "accounts.directory.check", outcome=Outcome.ERROR, message=str(exc))
        raise
    forget_cached_access(user)
    if not still_active:
        user.groups.clear()
        audit.record(
            user,
            "accounts.directory.revoked",
            outcome=Outcome.DENIED,
            message="The directory no longer lists this account as active; session ended.",
        )
        auth.logout(request)
        raise AccessRevoked("Your directory account is no longer active, so your Keydesk session was ended.")
    request.session[DIRECTORY_CHECKED_AT] = time.time()
    request._keydesk_directory_rechecked = True


@sensitive_variables("password")
def confirm_password(request: HttpRequest, password: str) -> bool:
    """Step-up: the signed-in user types their password again. Audited either way."""
    user = request.user
    try:
        confirmed = auth.authenticate(request, username=user.get_username(), password=password)
    except DirectoryUnavailable as exc:
        audit.record(user, "accounts.step_up", outcome=Outcome.ERROR, message=str(exc))
        raise
    if confirmed is None or confirmed.pk != user.pk:
        failures = request.session.get(STEP_UP_FAILURES, 0) + 1
        request.session[STEP_UP_FAILURES] = failures
        audit.record(
            user, "accounts.step_up", outcome=Outcome.DENIED, message=f"Wrong password ({failures})."
        )
        if failures >= MAX_STEP_UP_FAILURES:
            audit.record(
                user,
                "accounts.session.ended",
                outcome=Outcome.DENIED,
                message=f"{failures} wrong passwords at the step-up prompt; session ended.",
            )
            auth.logout(request)
            raise AccessRevoked("Too many wrong passwords: you were signed out. Sign in again to continue.")
        return False
    request.session.pop(STEP_UP_FAILURES, None)
    mark_authenticated(request)
    audit.record(user, "accounts.step_up")
    return True


@sensitive_variables("password")
def sign_in(request: HttpRequest, username: str, password: str) -> User:
    """Authenticate against the directory and start a session (new session id). Audited."""
    login_name = normalize_login_name(username)
    # A name that cannot be a login is recorded in a safe, shortened form.
    recorded_name = login_name[:64] if is_plausible_login_name(login_name) else repr(login_name[:64])
    locked_until = _locked_until(login_name)
    if locked_until:
        audit.record(
            None,
            "accounts.login.refused",
            outcome=Outcome.DENIED,
            actor_name=recorded_name,
            message="Sign-in refused: locked after too many failures.",
        )
        minutes = max(1, int((locked_until - timezone_now()).total_seconds() // 60) + 1)
        raise LoginLocked(
            f"Too many failed sign-ins. Try again in about {minutes} minute(s), or ask a Keydesk admin to unlock."
        )
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
        _count_failure(login_name)
        raise LoginFailed("That login name and password do not match a directory account.")
    LoginLockout.objects.filter(kind=LoginLockout.Kind.USER, key=login_name).delete()
    auth.login(request, user)
    mark_authenticated(request)
    audit.record(
        user, "accounts.login", detail={"groups": sorted(user.groups.values_list("name", flat=True))}
    )
    return user


def sign_out(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        audit.record(user, "accounts.logout")
    auth.logout(request)
