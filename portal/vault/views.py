from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from portal import access
from portal.audit.services import AuditWriteFailed
from portal.inventory.models import Credential
from portal.vault import services
from portal.vault.client import VaultError

AUDIT_DOWN_MESSAGE = (
    "The audit trail could not be written, so nothing was shown or changed. Try again; if it persists, "
    "tell the platform team."
)


def _error(request: HttpRequest, credential: Credential, message: str, status: int) -> HttpResponse:
    response = render(
        request, "vault/_error.html", {"credential": credential, "message": message}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@access.requires("reveal", Credential)
@never_cache
@sensitive_variables("revealed")
def credential_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    credential = access.get_for_user_or_404(request.user, "reveal", Credential, pk=pk)
    try:
        revealed = services.reveal_secret(request.user, credential)
    except VaultError as exc:
        return _error(request, credential, exc.message, exc.status)
    except AuditWriteFailed:
        return _error(request, credential, AUDIT_DOWN_MESSAGE, 503)
    response = render(request, "vault/_secret_value.html", {"credential": credential, "revealed": revealed})
    # The one response that carries a secret: no browser, proxy or CDN may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@access.requires("rotate", Credential)
def credential_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    credential = access.get_for_user_or_404(request.user, "rotate", Credential, pk=pk)
    try:
        rotation = services.rotate_secret(request.user, credential)
    except VaultError as exc:
        return _error(request, credential, exc.message, exc.status)
    except services.RotationNotRecorded as exc:
        return _error(request, credential, str(exc), 503)
    except AuditWriteFailed:
        return _error(request, credential, AUDIT_DOWN_MESSAGE, 503)
    return render(request, "vault/_rotated.html", {"credential": credential, "rotation": rotation})
