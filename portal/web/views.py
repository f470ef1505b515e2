from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from portal import access
from portal.accounts.backends import directory_health
from portal.vault.client import health as vault_health
from portal.vault.client import readiness as vault_readiness
from portal.web.htmx import is_htmx


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any DB failure means not healthy
        return f"error: {type(exc).__name__}"


# Liveness answers within Docker's HEALTHCHECK timeout (4 s) even when Vault or LDAP hangs.
LIVENESS_TIMEOUT = 1.0


def _states(*, ready: bool = False) -> dict[str, str]:
    if ready:
        return {"database": _database_state(), "vault": vault_readiness(), "ldap": directory_health()}
    return {
        "database": _database_state(),
        "vault": vault_health(timeout=LIVENESS_TIMEOUT),
        "ldap": directory_health(timeout=LIVENESS_TIMEOUT),
    }


@access.public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness (Docker's HEALTHCHECK, the load balancer): 200 while this process and its database
    work. Vault and the directory are reported separately but do not fail it — restarting the
    portal would not mend them."""
    states = _states()
    status = 200 if states["database"] == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", **states}, status=status)


@access.public
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 only when the database, Vault and the directory all work, and Vault accepts
    the portal's own login (the directory check binds with the service account likewise)."""
    states = _states(ready=True)
    ready = all(state == "ok" for state in states.values())
    return JsonResponse({"status": "ok" if ready else "not ready", **states}, status=200 if ready else 503)


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    template = "errors/_message.html" if is_htmx(request) else "errors/page.html"
    return render(request, template, {"status": status, "title": title, "message": message}, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You may not do that."
    return _error_page(request, 403, "Not allowed", message)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Never echo the exception: a 404 must not reveal anything about objects out of scope.
    return _error_page(request, 404, "Not found", "There is nothing here, or it is not in your entitlements.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, "Bad request", "The request could not be understood.")


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        403,
        "Please reload the page",
        "Your session changed since this page was loaded (for example, you signed in again in another tab), "
        "so Keydesk refused the request to keep it safe. Reload the page and try again.",
    )
