"""@step_up_required: sensitive actions re-check the directory now and need a recent password."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.accounts import services
from portal.accounts.backends import DirectoryUnavailable
from portal.accounts.middleware import to_login

# Form fields that are carried through the step-up prompt and re-sent with the resumed action.
# Never a secret value: an engineer who was typing a new value types it again.
CARRIED_FIELDS = ("ticket", "reason", "expected_version", "version")


def carried_fields(raw: str) -> str:
    """The carried fields as JSON, keeping only known names with short text values."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return "{}"
    if not isinstance(data, dict):
        return "{}"
    kept = {k: v for k, v in data.items() if k in CARRIED_FIELDS and isinstance(v, str) and len(v) <= 1000}
    return json.dumps(kept)


def step_up_form(
    request: HttpRequest,
    error: str = "",
    status: int = 401,
    *,
    resume: str | None = None,
    method: str | None = None,
    carry_json: str | None = None,
) -> HttpResponse:
    """The password prompt, shown in place of the action. By default it resumes this request."""
    if carry_json is None:
        carry_json = json.dumps(
            {name: request.POST[name] for name in CARRIED_FIELDS if request.POST.get(name)}
        )
    context = {
        "resume": resume or request.path,
        "method": method or request.method.lower(),
        "carry_json": carried_fields(carry_json),
        "error": error,
    }
    response = render(request, "accounts/_step_up.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def step_up_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Before a reveal, rotation or update: confirm with LDAP that the account and its groups still
    hold (deny if LDAP is unreachable), then require a password entered within
    KEYDESK_STEP_UP_SECONDS, asking for it in place when it is older."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            services.recheck_directory(request)
        except services.AccessRevoked as exc:
            return to_login(request, str(exc))
        except DirectoryUnavailable as exc:
            return render(
                request,
                "errors/_message.html",
                {
                    "message": f"{exc} Keydesk cannot confirm your access right now, so this action is refused."
                },
                status=503,
            )
        if not services.step_up_is_fresh(request):
            return step_up_form(request)
        return view(request, *args, **kwargs)

    wrapped.step_up = True
    return wrapped
