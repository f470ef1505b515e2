import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from portal import access
from portal.accounts import services
from portal.accounts.backends import DirectoryUnavailable
from portal.accounts.decorators import step_up_form
from portal.accounts.forms import LoginForm, StepUpForm
from portal.accounts.middleware import to_login
from portal.audit.models import AuditEvent
from portal.audit.services import AuditWriteFailed
from portal.inventory.models import Device


def _safe_next(request: HttpRequest) -> str:
    target = services.local_path(request, request.POST.get("next") or request.GET.get("next") or "")
    # Sensitive actions are POST-only fragments: after sign-in, land on a page instead.
    if target and not _resumable(request, target.split("?")[0]):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@access.public
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        # Not redirect(): it would try to reverse the value as a URL name.
        return HttpResponseRedirect(_safe_next(request))
    form = LoginForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.sign_in(request, form.cleaned_data["username"], form.cleaned_data["password"])
                return HttpResponseRedirect(_safe_next(request))
            except services.LoginFailed as exc:
                error, status = str(exc), 401
            except services.LoginLocked as exc:
                error, status = str(exc), 429
            except DirectoryUnavailable as exc:
                error, status = f"{exc} Signing in is not possible right now; try again in a minute.", 503
            except AuditWriteFailed:
                # No sign-in without its record (fail closed, like the audit devices of Vault).
                error, status = (
                    "The audit trail cannot be written right now, so signing in is refused. Try again.",
                    503,
                )
        else:
            status = 400
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": _safe_next(request)},
        status=status,
    )


@access.authenticated
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@access.authenticated
def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page: devices for engineers and admins, the trail for auditors."""
    if access.may(request.user, "view", Device):
        return redirect("inventory:device_list")
    if access.may(request.user, "audit", AuditEvent):
        return redirect("audit:event_list")
    groups = sorted(access.group_names(request.user))  # read once already, by may()
    context = {
        "groups": groups,
        "roles": _role_groups(),
        "engineer": settings.KEYDESK_ENGINEER_GROUP in groups,
    }
    return render(request, "accounts/no_access.html", context)


def _role_groups() -> dict[str, str]:
    return {
        "engineer": settings.KEYDESK_ENGINEER_GROUP,
        "admin": settings.KEYDESK_ADMIN_GROUP,
        "auditor": settings.KEYDESK_AUDITOR_GROUP,
    }


# Sensitive actions that also answer GET (with a form); the others are POST-only.
RESUMABLE_WITH_GET = {"vault:credential_update"}


def _resumable(request: HttpRequest, path: str, method: str = "post") -> bool:
    """Only a sensitive action of this portal can be resumed after step-up (no open redirects)."""
    if services.local_path(request, path) is None:
        return False
    try:
        match = resolve(path)
    except Resolver404:
        return False
    if method == "get" and match.view_name not in RESUMABLE_WITH_GET:
        return False
    return bool(getattr(match.func, "step_up", False))


@access.authenticated
@require_POST
@sensitive_post_parameters("password")
@never_cache
def step_up(request: HttpRequest) -> HttpResponse:
    form = StepUpForm(request.POST)
    if not form.is_valid() or not _resumable(
        request, form.cleaned_data["resume"], form.cleaned_data["method"]
    ):
        return render(
            request, "errors/_message.html", {"message": "Type your password to continue."}, status=400
        )
    try:
        # Before the password: a request that cannot be resumed must not count as a step-up.
        carry = services.parse_carry(request.POST.get("carry", ""))
    except services.InvalidCarry as exc:
        return render(request, "errors/_message.html", {"message": str(exc)}, status=400)
    try:
        confirmed = services.confirm_password(request, form.cleaned_data["password"])
    except services.AccessRevoked as exc:
        return to_login(request, str(exc))
    except DirectoryUnavailable as exc:
        return render(
            request, "errors/_message.html", {"message": f"{exc} Try again in a minute."}, status=503
        )
    resume, method = form.cleaned_data["resume"], form.cleaned_data["method"]
    if not confirmed:
        return step_up_form(
            request, error="That password is not right.", resume=resume, method=method, carry=carry
        )
    response = render(
        request,
        "accounts/_step_up_done.html",
        {"resume": resume, "method": method, "carry_json": json.dumps(carry)},
    )
    response["Cache-Control"] = "no-store"
    return response
