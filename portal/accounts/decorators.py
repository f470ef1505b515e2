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


def step_up_form(
    request: HttpRequest,
    error: str = "",
    status: int = 401,
    *,
    resume: str | None = None,
    method: str | None = None,
    carry: dict[str, str] | None = None,
) -> HttpResponse:
    """The password prompt, shown in place of the action. By default it resumes this request."""
    if carry is None:
        carry = {name: request.POST[name] for name in services.CARRIED_FIELDS if request.POST.get(name)}
    context = {
        "resume": resume or request.path,
        "method": method or request.method.lower(),
        "carry_json": json.dumps(services.keep_carried(carry)),
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
