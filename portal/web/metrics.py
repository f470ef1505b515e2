"""Prometheus metrics: request latency by view, Vault and LDAP call latency and errors, secret
actions by outcome. With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (see
gunicorn.conf.py) and /metrics adds up every worker."""

import hmac
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from portal import access

REQUEST_SECONDS = Histogram(
    "keydesk_http_request_seconds", "Time to answer a request, by view.", ["view", "method", "status"]
)
VAULT_SECONDS = Histogram(
    "keydesk_vault_call_seconds", "Time of each call to Vault/OpenBao.", ["operation", "outcome"]
)
LDAP_SECONDS = Histogram(
    "keydesk_ldap_call_seconds", "Time of each call to the directory.", ["operation", "outcome"]
)
SECRET_ACTIONS = Counter(
    "keydesk_secret_actions_total",
    "Reveals, rotations and updates of credentials, by outcome.",
    ["action", "outcome"],
)


@contextmanager
def timed(histogram: Histogram, operation: str) -> Iterator[None]:
    """Observe the block's duration, labelled ok or the error's class name."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except Exception as exc:
        outcome = type(exc).__name__
        raise
    finally:
        histogram.labels(operation=operation, outcome=outcome).observe(time.perf_counter() - started)


# Label values come from a fixed set: a client inventing methods must not invent time series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        REQUEST_SECONDS.labels(
            view=view,
            method=request.method if request.method in _METHODS else "other",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


@access.public
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint, only with `Authorization: Bearer <KEYDESK_METRICS_TOKEN>`;
    without a configured token it does not exist."""
    token = settings.KEYDESK_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are not enabled.")
    scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse("A valid bearer token is required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="keydesk-metrics"'
        return response
    if settings.KEYDESK_METRICS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest()
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)
