from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import access
from portal.accounts.decorators import step_up_required
from portal.audit.services import AuditWriteFailed
from portal.inventory.models import Credential
from portal.vault import services
from portal.vault.client import VaultError
from portal.vault.forms import JustificationForm, UpdateValueForm

AUDIT_DOWN_MESSAGE = (
    "The audit trail could not be written, so nothing was shown or changed. Try again; if it persists, "
    "tell the platform team."
)


def _fragment(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error(request: HttpRequest, credential: Credential, message: str, status: int) -> HttpResponse:
    return _fragment(request, "vault/_error.html", {"credential": credential, "message": message}, status)


def _justification(
    request: HttpRequest,
    credential: Credential,
    action: str,
    *,
    version: int | None = None,
    extra: dict | None = None,
) -> tuple[dict[str, str], HttpResponse | None]:
    """The ticket and reason for `action`, or the in-place prompt asking for them (400).

    Field errors show only once the engineer has tried."""
    required = services.justification_needed(request.user, action, credential, version)
    form = JustificationForm(request.POST, required=required)
    if form.is_valid():
        return {"justification": form.cleaned_data["reason"], "ticket": form.cleaned_data["ticket"]}, None
    tried = bool(request.POST.get("justifying")) or any(
        request.POST.get(name) for name in ("ticket", "reason")
    )
    context = {
        "credential": credential,
        "form": form,
        "action": action,
        "show_errors": tried,
        **(extra or {}),
    }
    return {}, _fragment(request, "vault/_justification.html", context, status=400)


def _failure(request: HttpRequest, credential: Credential, exc: Exception) -> HttpResponse:
    if isinstance(exc, VaultError):
        return _error(request, credential, exc.message, exc.status)
    if isinstance(exc, services.RotationNotRecorded):
        return _error(request, credential, str(exc), 503)
    if isinstance(exc, services.JustificationMissing):
        return _error(request, credential, str(exc), 400)
    return _error(request, credential, AUDIT_DOWN_MESSAGE, 503)


FAILURES = (VaultError, AuditWriteFailed, services.JustificationMissing)


def _version(request: HttpRequest) -> int | None | str:
    """The older version asked for (POST `version`), None for the current one, "bad" for junk."""
    raw = request.POST.get("version", "").strip()
    if not raw:
        return None
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) == 0:
        return "bad"
    return int(raw)


@require_GET
@access.requires("view", Credential)
@never_cache
def credential_history(request: HttpRequest, pk: int) -> HttpResponse:
    credential = access.get_for_user_or_404(request.user, "view", Credential, pk=pk)
    try:
        metadata = services.history(request.user, credential)
    except VaultError as exc:
        return _error(request, credential, exc.message, exc.status)
    context = {
        "credential": credential,
        "metadata": metadata,
        "may_reveal": access.can(request.user, "reveal", credential),
    }
    return _fragment(request, "vault/_history.html", context)


@require_POST
@access.requires("reveal", Credential)
@step_up_required
@never_cache
@sensitive_variables("revealed")
def credential_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    credential = access.get_for_user_or_404(request.user, "reveal", Credential, pk=pk)
    version = _version(request)
    if version == "bad":
        return _error(request, credential, "That is not a version number.", 400)
    why, prompt = _justification(request, credential, "reveal", version=version, extra={"version": version})
    if prompt:
        return prompt
    try:
        revealed = services.reveal_secret(request.user, credential, version=version, **why)
    except FAILURES as exc:
        return _failure(request, credential, exc)
    # The one response that carries a secret: no browser, proxy or CDN may keep it.
    context = {"credential": credential, "revealed": revealed, "older": version is not None}
    return _fragment(request, "vault/_secret_value.html", context)


@require_POST
@access.requires("rotate", Credential)
@step_up_required
def credential_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    credential = access.get_for_user_or_404(request.user, "rotate", Credential, pk=pk)
    why, prompt = _justification(request, credential, "rotate")
    if prompt:
        return prompt
    try:
        rotation = services.rotate_secret(request.user, credential, **why)
    except FAILURES as exc:
        return _failure(request, credential, exc)
    context = {"credential": credential, "rotation": rotation, "verb": "Rotated"}
    return _fragment(request, "vault/_rotated.html", context)


@require_http_methods(["GET", "POST"])
@access.requires("update", Credential)
@step_up_required
@never_cache
@sensitive_post_parameters("value", "confirm")
def credential_update(request: HttpRequest, pk: int) -> HttpResponse:
    credential = access.get_for_user_or_404(request.user, "update", Credential, pk=pk)
    required = services.justification_needed(request.user, "update", credential)
    if request.method == "GET":
        try:
            version = services.current_version(request.user, credential)
        except VaultError as exc:
            return _error(request, credential, exc.message, exc.status)
        form = UpdateValueForm(initial={"expected_version": version}, required=required)
        return _fragment(request, "vault/_update_form.html", {"credential": credential, "form": form})
    form = UpdateValueForm(request.POST, required=required)
    if not form.is_valid():
        # Coming back from the password prompt: the typed value was (deliberately) not kept.
        retype = "value" not in request.POST and "expected_version" in request.POST
        context = {"credential": credential, "form": form, "retype": retype}
        return _fragment(request, "vault/_update_form.html", context, status=400)
    data = form.cleaned_data
    try:
        rotation = services.update_secret(
            request.user,
            credential,
            data["value"],
            expected_version=data["expected_version"],
            justification=data["reason"],
            ticket=data["ticket"],
        )
    except FAILURES as exc:
        return _failure(request, credential, exc)
    context = {
        "credential": credential,
        "rotation": rotation,
        "verb": "Stored the new value of",
        "typed": True,
    }
    return _fragment(request, "vault/_rotated.html", context)
