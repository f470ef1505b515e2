from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from portal import access
from portal.web.htmx import is_htmx


@access.public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and Docker's HEALTHCHECK: the process answers and the DB does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - any DB failure means not healthy
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": database}, status=status)


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
